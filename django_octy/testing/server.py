"""``FakeOcty``: the fake server's lifecycle, its inspection and its steering for tests."""

from __future__ import annotations

import random
import secrets
import socket
import threading
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import OctyApp
from .control import ControlApi
from .faults import DEFAULT_REJECTION, Fault, FaultPlan, FaultRule, FaultStorm, rejections_of
from .request_log import RequestLogEntry
from .resources import identity, profiles, recommendations
from .state import OctyState

HOST = "127.0.0.1"


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's handler without the access-log line per request.

    It speaks HTTP/1.1 so that clients keep connections alive, as with the real API.
    """

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class FakeOcty:
    """A fake Octy API served on 127.0.0.1 in a background thread.

    Use it as a context manager (``with FakeOcty() as octy:``) or call
    :meth:`start` and :meth:`stop`. Point the client at :attr:`url` with
    :attr:`public_key` and :attr:`secret_key`.
    """

    def __init__(
        self,
        public_key: str | None = None,
        secret_key: str | None = None,
        port: int = 0,
        latency: float = 0.0,
    ) -> None:
        self.public_key = public_key or f"pk_test_{secrets.token_hex(12)}"
        self.secret_key = secret_key or f"sk_test_{secrets.token_hex(24)}"
        self.port = port
        self.state = OctyState()
        self.faults = FaultPlan()
        self.latency = latency
        self.request_log: list[RequestLogEntry] = []
        self.control = ControlApi(self)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.url if self._server else "stopped"
        return f"<FakeOcty {where} public_key={self.public_key!r}>"

    # Lifecycle

    def start(self) -> FakeOcty:
        if self._server is not None:
            raise RuntimeError("This FakeOcty is already running")
        # Binding here rather than in werkzeug turns a busy port into an OSError
        # (werkzeug would print and call sys.exit).
        listener = socket.create_server((HOST, self.port))
        self.port = listener.getsockname()[1]
        try:
            self._server = make_server(
                HOST,
                self.port,
                OctyApp(self),
                threaded=True,
                request_handler=QuietRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-octy-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called from another one."""
        self.start()
        assert self._thread is not None
        self._thread.join()

    def __enter__(self) -> FakeOcty:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # Inspection: copies (one level deep) taken under the lock, safe while requests are served.

    def _records(self, records: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        with self.state.lock:
            return {key: dict(record) for key, record in records.items()}

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        """Active profiles by customer_id, as ``GET /v1/retention/profiles`` returns them."""
        return self._records(self.state.profiles)

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
        """Set the fields Octy computes for a profile; returns the updated profile."""
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

    @property
    def latency(self) -> float:
        """Seconds added to every API request."""
        return self.faults.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"latency cannot be negative, got {seconds}")
        self.faults.latency = seconds

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
        """Forget everything: data, faults, latency and the request log."""
        self.state = OctyState()
        self.faults.clear()
        self.request_log.clear()
