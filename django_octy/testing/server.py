"""``FakeOcty``: the fake server's lifecycle, its inspection and its steering for tests."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .app import OctyApp
from .control import ControlApi
from .dialect import Dialect
from .faults import DEFAULT_REJECTION, Fault, FaultRule, FaultStorm, rejections_of
from .insights import with_insights
from .request_log import RequestLogEntry
from .resources import identity, profiles, recommendations
from .serving import FakeServer
from .state import OctyState

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


class FakeOcty(FakeServer[RequestLogEntry]):
    """A fake Octy API served on 127.0.0.1 in a background thread.

    Use it as a context manager (``with FakeOcty() as octy:``) or call
    :meth:`start` and :meth:`stop`. Point the client at :attr:`url` with
    :attr:`public_key` and :attr:`secret_key`. :attr:`dialect` picks, where Octy's
    published sources disagree, which reading it answers in (theirs by default).
    """

    thread_name = "fake-octy"

    def __init__(
        self,
        public_key: str | None = None,
        secret_key: str | None = None,
        port: int = 0,
        latency: float = 0.0,
        dialect: Dialect | None = None,
    ) -> None:
        super().__init__(port, latency)
        self.dialect = dialect or Dialect()
        self.public_key = public_key or f"pk_test_{secrets.token_hex(12)}"
        self.secret_key = secret_key or f"sk_test_{secrets.token_hex(24)}"
        self.state = OctyState()
        self.control = ControlApi(self)

    def account(self) -> str:
        return f"public_key={self.public_key!r}"

    def wsgi_app(self) -> WSGIApplication:
        return OctyApp(self)

    # Inspection: copies (one level deep) taken under the lock, safe while requests are served.

    def _records(self, records: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        with self.state.lock:
            return {key: dict(record) for key, record in records.items()}

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        """Active profiles by customer_id, as ``GET /v1/retention/profiles`` returns them.

        With what Octy computes: set by :meth:`set_profile_insights`, otherwise derived
        from the events received (the fake's own rule: :mod:`django_octy.testing.insights`).
        """
        with self.state.lock:
            return {
                customer_id: with_insights(self.state, profile)
                for customer_id, profile in self.state.profiles.items()
            }

    @property
    def items(self) -> dict[str, dict[str, Any]]:
        """Items by item_id."""
        return self._records(self.state.items)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event, in arrival order."""
        with self.state.lock:
            return [dict(event) for event in self.state.events]

    @property
    def event_types(self) -> dict[str, dict[str, Any]]:
        """Event types by name, the built-in ``charged`` included."""
        return self._records(self.state.event_types)

    @property
    def segments(self) -> dict[str, dict[str, Any]]:
        """Segments by segment_name."""
        return self._records(self.state.segments)

    @property
    def templates(self) -> dict[str, dict[str, Any]]:
        """Message templates by template_id."""
        return self._records(self.state.templates)

    @property
    def account_config(self) -> dict[str, Any]:
        with self.state.lock:
            return dict(self.state.account_config)

    @property
    def algorithm_configs(self) -> dict[str, dict[str, Any]]:
        """Algorithm configurations by algorithm_name (``churn``, ``rec``)."""
        return self._records(self.state.algorithm_configs)

    # Steering what Octy computes.

    def set_profile_insights(
        self,
        customer_id: str,
        *,
        churn_probability: str | None = None,
        rfm_score: int | None = None,
        segment_tags: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Set the fields Octy computes for a profile; returns the updated profile.

        A field set here wins over what the fake derives from the profile's events.
        """
        with self.state.lock:
            return profiles.set_insights(
                self.state, customer_id, churn_probability, rfm_score, segment_tags
            )

    def merge_profiles(self, child_customer_id: str, parent_customer_id: str) -> None:
        """Merge a profile into another as Octy's identity merging does."""
        with self.state.lock:
            identity.merge(self.state, child_customer_id, parent_customer_id)

    def set_recommendations(
        self, profile_id: str, recommended: Iterable[tuple[str, float]]
    ) -> None:
        """Fix the recommendations returned for ``profile_id`` (``[(item_id, score), ...]``)."""
        with self.state.lock:
            self.state.recommendations[profile_id] = [(i, float(s)) for i, s in recommended]

    def recommendations_for(self, profile_id: str) -> list[tuple[str, float]]:
        """The ``(item_id, score)`` pairs ``POST /v1/retention/recommendations`` would return."""
        with self.state.lock:
            return recommendations.recommended(self.state, profile_id)

    # Faults.

    def inject(
        self,
        path_prefix: str,
        status: int | None = None,
        times: int | None = 1,
        retry_after: float | None = None,
        delay: float = 0.0,
        drop_connection: bool = False,
        reject: Mapping[str, str] | Iterable[str] | None = None,
    ) -> None:
        """Treat the next ``times`` requests whose path starts with ``path_prefix``.

        ``status`` answers with Octy's error body (and ``Retry-After`` when
        ``retry_after`` is given); ``delay`` sleeps first; ``drop_connection``
        closes the socket without an answer; ``reject`` makes the objects
        with these identifiers fail (``{identifier: message}`` or identifiers).
        ``times=None`` applies the rule to every matching request.
        """
        fault = Fault(status, retry_after, delay, drop_connection, rejections_of(reject))
        self.faults.add_rule(FaultRule(path_prefix, fault, times))

    def inject_random(
        self,
        path_prefix: str,
        rate: float = 0.3,
        statuses: Sequence[int] = (500, 503, 429),
        retry_after: float | None = 1,
        drop_connection_share: float = 0.0,
        seed: int | None = None,
    ) -> None:
        """Fail a share ``rate`` of matching requests; the same ``seed`` fails the same ones."""
        storm = FaultStorm(
            path_prefix,
            rate,
            tuple(statuses),
            retry_after,
            drop_connection_share,
            random.Random(seed),  # noqa: S311 - reproducible test faults, not security
        )
        self.faults.add_storm(storm)

    def reject_object(self, identifier: str, message: str = DEFAULT_REJECTION) -> None:
        """Make every write naming ``identifier`` fail that object with ``message``."""
        self.faults.reject(identifier, message)

    def reset(self) -> None:
        """Forget everything: data, faults, latency, the request log and the in-flight peak."""
        self.state = OctyState()
        self.faults.clear()
        self.request_log.clear()
        self.in_flight.reset()
