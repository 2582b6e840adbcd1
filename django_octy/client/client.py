"""``OctyClient``: one method per Octy API endpoint.

The methods are thin: what to send where, and which part of the answer to
return. Sending, retrying and error mapping live in :mod:`.transport`, batch
splitting and failure matching in :mod:`.batching`, paging in
:mod:`.pagination`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import requests
from requests.auth import HTTPBasicAuth

from ..http.config import MASKED, Timeout, check_base_url, check_timeout
from ..http.session import ClosedOnExit
from .batching import (
    MAX_BATCH_SIZE,
    BatchEndpoint,
    chunks,
    creates,
    deletes,
    json_objects,
    prepare,
    read_answer,
    updates,
)
from .errors import (
    OctyAPIError,
    OctyBadRequest,
    OctyConfigurationError,
    OctyError,
    OctyNotFound,
)
from .pagination import Page, paginate
from .results import BatchResult, Recommendations
from .retrying import RetryAfterHolds
from .transport import OctyResponse, Transport

DEFAULT_BASE_URL = "https://api.octy.ai"
DEFAULT_TIMEOUT: Timeout = (5.0, 30.0)
DEFAULT_MAX_RETRIES = 3

IDS_PER_LOOKUP = 100
"""Identifiers per ``?ids=`` lookup, to keep URLs short; more go out as several lookups."""


def listable(identifier: str) -> bool:
    """Whether an identifier can go in a comma-separated ``?ids=`` list."""
    return "," not in identifier


MESSAGES_PER_REQUEST = 100
"""Octy's own integration sends at most 100 messages per content generation request."""

JSON = dict[str, Any]

PROFILES = "/v1/retention/profiles"
ITEMS = "/v1/retention/items"
EVENT_TYPES = "/v1/retention/events/types"
SEGMENTS = "/v1/retention/segments"
TEMPLATES = "/v1/retention/messaging/templates"

CREATE_PROFILES = creates(PROFILES, "profiles", "customer_id")
UPDATE_PROFILES = updates(PROFILES, "profiles", "profile_id", "customer_id")
DELETE_PROFILES = deletes(PROFILES, "profile_ids", "deleted_profiles", "profile_id")
CREATE_ITEMS = creates(ITEMS, "items", "item_id")
UPDATE_ITEMS = updates(ITEMS, "items", "item_id")
DELETE_ITEMS = deletes(ITEMS, "item_ids", "deleted_items", "item_id")
CREATE_EVENT_TYPES = creates(EVENT_TYPES, "event_types", "event_type")
DELETE_EVENT_TYPES = deletes(EVENT_TYPES, "event_type_ids", "deleted_event_types", "event_type_id")
DELETE_SEGMENTS = deletes(SEGMENTS, "segments", "deleted_segments", "segment_id")
CREATE_TEMPLATES = creates(TEMPLATES, "templates", "friendly_name")
UPDATE_TEMPLATES = updates(TEMPLATES, "templates", "template_id")
DELETE_TEMPLATES = deletes(TEMPLATES, "template_ids", "deleted_templates", "template_id")
CREATE_EVENTS = BatchEndpoint(
    "/v1/retention/events/create/batch", "events", "created_events", ("failed_to_create",), ()
)
GENERATE_CONTENT = BatchEndpoint(
    "/v1/retention/messaging/content/generate",
    "messages",
    "generated_messages",
    # Octy spells the second key with a space.
    ("failed_messages", "failed templates"),
    ("template_id",),
    max_size=MESSAGES_PER_REQUEST,
)


def _id_list(ids: str | Iterable[str]) -> list[str]:
    return [ids] if isinstance(ids, str) else [str(identifier) for identifier in ids]


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class OctyClient(ClosedOnExit):
    """A client for one Octy account.

    ``timeout`` is one number for both, or ``(connect, read)`` seconds.
    ``max_retries`` counts retries of transient failures (0: one attempt).
    ``requests_per_minute`` paces requests on the client's side.
    ``session`` is an optional :class:`requests.Session` to send through; by
    default the client makes its own, pooled, and remade after a fork.
    ``retry_after_holds`` is where a ``Retry-After`` is kept for the other
    clients (by default the process's own; give one with a shared
    :class:`~django_octy.http.retrying.HoldStore` to reach other processes).
    """

    def __init__(
        self,
        public_key: str,
        secret_key: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
        requests_per_minute: float | None = None,
        allow_insecure: bool = False,
        retry_after_holds: RetryAfterHolds | None = None,
    ) -> None:
        if not public_key or not secret_key:
            raise OctyConfigurationError("The Octy public key and secret key are both required.")
        if max_retries < 0:
            raise OctyConfigurationError(f"max_retries must be 0 or more, got {max_retries!r}.")
        if requests_per_minute is not None and requests_per_minute <= 0:
            raise OctyConfigurationError(
                f"requests_per_minute must be positive, got {requests_per_minute!r}."
            )
        self.public_key = public_key
        self.base_url = check_base_url(
            base_url,
            allow_insecure,
            service="Octy",
            secrets="the keys",
            insecure_setting='OCTY["ALLOW_INSECURE_BASE_URL"]',
            error=OctyConfigurationError,
        )
        self._transport = Transport(
            self.base_url,
            HTTPBasicAuth(public_key, secret_key),
            check_timeout(timeout, service="Octy", error=OctyConfigurationError),
            max_retries,
            requests_per_minute,
            session,
            retry_after_holds,
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OctyClient:
        """Build a client from ``OCTY``-style settings (``PUBLIC_KEY``, ``SECRET_KEY``, ...).

        Keys that are absent take the client's defaults; other keys are ignored.
        """
        options: dict[str, Any] = {
            "base_url": config.get("BASE_URL"),
            "timeout": config.get("TIMEOUT"),
            "max_retries": config.get("MAX_RETRIES"),
            "requests_per_minute": config.get("REQUESTS_PER_MINUTE"),
            "allow_insecure": config.get("ALLOW_INSECURE_BASE_URL"),
        }
        return cls(
            str(config.get("PUBLIC_KEY") or ""),
            str(config.get("SECRET_KEY") or ""),
            **{name: value for name, value in options.items() if value is not None},
        )

    @property
    def timeout(self) -> Timeout:
        return self._transport.timeout

    @property
    def max_retries(self) -> int:
        return self._transport.max_retries

    @property
    def requests_per_minute(self) -> float | None:
        return self._transport.requests_per_minute

    def __repr__(self) -> str:
        return (
            f"OctyClient(base_url={self.base_url!r}, public_key={self.public_key!r}, "
            f"secret_key={MASKED!r})"
        )

    def close(self) -> None:
        """Close the client's own connection pool (a session passed in is left open)."""
        self._transport.close()

    # Plumbing shared by the endpoints.

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> OctyResponse:
        return self._transport.request("GET", path, params=params)

    def _post(self, path: str, body: Mapping[str, Any], objects: int | None = None) -> JSON:
        return self._transport.request("POST", path, body=body, objects=objects).body

    @staticmethod
    def _field(body: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in body:
            raise OctyAPIError(f"Octy's answer has no {key!r}", method="GET", path=path)
        return body[key]

    @staticmethod
    def _without_meta(body: Mapping[str, Any]) -> JSON:
        return {key: value for key, value in body.items() if key != "request_meta"}

    def _write_batch(self, endpoint: BatchEndpoint, objects: Iterable[Any]) -> BatchResult:
        sent = prepare(endpoint, list(objects))
        result = BatchResult()
        for offset, chunk in chunks(sent, endpoint.max_size):
            try:
                body = self._post(endpoint.path, {endpoint.request_key: list(chunk)}, len(chunk))
                result.merge(read_answer(endpoint, body, chunk, offset))
            except OctyError as error:
                error.partial_result = result
                raise
        return result

    def _list(
        self,
        path: str,
        key: str,
        ids: str | Iterable[str] | None,
        filters: Mapping[str, str] | None = None,
    ) -> Iterator[JSON]:
        if ids is not None:
            return self._lookup(path, key, _id_list(ids), filters)
        return paginate(lambda cursor: self._page(path, key, cursor, filters), path)

    def _lookup(
        self, path: str, key: str, ids: Sequence[str], filters: Mapping[str, str] | None = None
    ) -> Iterator[JSON]:
        """Records by id, listed in ``?ids=`` lookups; an id with a comma goes alone as ``?id=``
        (where an id Octy does not know answers nothing, as it is left out of a list)."""
        for _, chunk in chunks([i for i in ids if listable(i)], IDS_PER_LOOKUP):
            response = self._get(path, {**(filters or {}), "ids": ",".join(chunk)})
            yield from json_objects(response.body.get(key))
        for identifier in ids:
            if not listable(identifier):
                yield from self._lookup_one(path, key, identifier, filters)

    def _lookup_one(
        self, path: str, key: str, identifier: str, filters: Mapping[str, str] | None
    ) -> Iterator[JSON]:
        try:
            response = self._get(path, {**(filters or {}), "id": identifier})
        except (OctyBadRequest, OctyNotFound):
            return
        yield from json_objects(response.body.get(key))

    def _page(self, path: str, key: str, cursor: str, filters: Mapping[str, str] | None) -> Page:
        response = self._transport.request(
            "GET", path, params=filters or None, headers={"cursor": cursor}
        )
        meta = response.body.get("request_meta")
        total = _int_or_none(meta.get("total")) if isinstance(meta, dict) else None
        return Page(json_objects(response.body.get(key)), response.headers.get("cursor"), total)

    # Account.

    def authenticate(self) -> None:
        """Check the keys; raises :class:`OctyAuthError` if Octy refuses them."""
        self._get("/v1/account/authenticate")

    def get_account_config(self) -> JSON:
        path = "/v1/configurations/account"
        return dict(self._field(self._get(path).body, "account_data", path))

    def set_account_config(self, account_data: Mapping[str, Any]) -> JSON:
        """Set account fields (``contact_name``, ``webhook_url``, ``authenticated_id_key``...)."""
        return self._without_meta(self._post("/v1/configurations/account/set", account_data))

    def get_algorithm_configs(self) -> list[JSON]:
        path = "/v1/configurations/retention/algorithms"
        return json_objects(self._field(self._get(path).body, "configurations", path))

    def set_algorithm_config(self, config: Mapping[str, Any]) -> JSON:
        """Set one algorithm's block: ``{"algorithm_name": "churn", "configurations": {..}}``."""
        path = "/v1/configurations/retention/algorithms/set"
        return self._without_meta(self._post(path, config))

    # Profiles.

    def create_profiles(self, profiles: Iterable[Mapping[str, Any]]) -> BatchResult:
        """Failures are identified by ``customer_id``; keep the ``profile_id`` of successes."""
        return self._write_batch(CREATE_PROFILES, profiles)

    def update_profiles(self, profiles: Iterable[Mapping[str, Any]]) -> BatchResult:
        return self._write_batch(UPDATE_PROFILES, profiles)

    def delete_profiles(self, profile_ids: Iterable[str]) -> BatchResult:
        return self._write_batch(DELETE_PROFILES, profile_ids)

    def get_profiles(
        self,
        ids: str | Iterable[str] | None = None,
        *,
        churn_prob: str | None = None,
        rfm: str | tuple[int, int] | None = None,
    ) -> Iterator[JSON]:
        """Profiles with what Octy computed (``churn_probability``, ``rfm_score``...).

        ``ids`` are profile or customer ids; ``rfm`` is ``"300-400"`` or ``(300, 400)``.
        """
        filters = {}
        if churn_prob is not None:
            filters["churn_prob"] = churn_prob
        if rfm is not None:
            filters["rfm"] = rfm if isinstance(rfm, str) else f"{rfm[0]}-{rfm[1]}"
        return self._list(PROFILES, "profiles", ids, filters)

    def get_profile_metadata(self, ids: str | Iterable[str]) -> list[JSON]:
        """Existence and merge information (``merged_info.parent_profile``) per identifier."""
        return list(self._lookup(f"{PROFILES}/metadata", "profiles_meta", _id_list(ids)))

    # Items.

    def create_items(self, items: Iterable[Mapping[str, Any]]) -> BatchResult:
        """``item_price`` is an integer in minor units (2000 is 20.00)."""
        return self._write_batch(CREATE_ITEMS, items)

    def update_items(self, items: Iterable[Mapping[str, Any]]) -> BatchResult:
        return self._write_batch(UPDATE_ITEMS, items)

    def delete_items(self, item_ids: Iterable[str]) -> BatchResult:
        return self._write_batch(DELETE_ITEMS, item_ids)

    def get_items(self, ids: str | Iterable[str] | None = None) -> Iterator[JSON]:
        return self._list(ITEMS, "items", ids)

    # Events and event types.

    def create_event(self, event: Mapping[str, Any]) -> JSON:
        """One event ``{event_type, profile_id, event_properties}``; returns it with its id."""
        return self._without_meta(self._post("/v1/retention/events/create", event, 1))

    def create_events(self, events: Iterable[Mapping[str, Any]]) -> BatchResult:
        """Failures carry no id: their ``index`` is the event's position in ``events``.

        ``created_at`` may be a :class:`~datetime.datetime` (aware ones are sent in UTC).
        """
        return self._write_batch(CREATE_EVENTS, events)

    def create_event_types(self, event_types: Iterable[Mapping[str, Any]]) -> BatchResult:
        return self._write_batch(CREATE_EVENT_TYPES, event_types)

    def get_event_types(self, ids: str | Iterable[str] | None = None) -> Iterator[JSON]:
        return self._list(EVENT_TYPES, "event_types", ids)

    def delete_event_types(self, event_type_ids: Iterable[str]) -> BatchResult:
        return self._write_batch(DELETE_EVENT_TYPES, event_type_ids)

    # Segments.

    def create_segment(self, segment: Mapping[str, Any]) -> JSON:
        """One segment per request (Octy's rule); returns it with ``segment_id``."""
        return self._without_meta(self._post(f"{SEGMENTS}/create", segment, 1))

    def get_segments(self, ids: str | Iterable[str] | None = None) -> Iterator[JSON]:
        return self._list(SEGMENTS, "segments", ids)

    def delete_segments(self, segment_ids: Iterable[str]) -> BatchResult:
        return self._write_batch(DELETE_SEGMENTS, segment_ids)

    # Message templates and content.

    def create_templates(self, templates: Iterable[Mapping[str, Any]]) -> BatchResult:
        """Failures are identified by ``friendly_name``."""
        return self._write_batch(CREATE_TEMPLATES, templates)

    def update_templates(self, templates: Iterable[Mapping[str, Any]]) -> BatchResult:
        return self._write_batch(UPDATE_TEMPLATES, templates)

    def get_templates(self, ids: str | Iterable[str] | None = None) -> Iterator[JSON]:
        return self._list(TEMPLATES, "templates", ids)

    def delete_templates(self, template_ids: Iterable[str]) -> BatchResult:
        return self._write_batch(DELETE_TEMPLATES, template_ids)

    def generate_content(self, messages: Iterable[Mapping[str, Any]]) -> BatchResult:
        """Render messages (``succeeded`` holds ``generated_messages``), 100 per request."""
        return self._write_batch(GENERATE_CONTENT, messages)

    # What Octy computes.

    def get_recommendations(self, profile_ids: Iterable[str]) -> Recommendations:
        path = "/v1/retention/recommendations"
        result = Recommendations()
        for _, chunk in chunks(_id_list(profile_ids), MAX_BATCH_SIZE):
            body = self._post(path, {"profile_ids": list(chunk)}, len(chunk))
            result.by_profile.extend(json_objects(body.get("recommendations")))
            meta = body.get("model_meta_data")
            result.model_meta_data = dict(meta) if isinstance(meta, dict) else {}
        return result

    def get_churn_report(self) -> JSON:
        path = "/v1/retention/churn_prediction/report"
        return dict(self._field(self._get(path).body, "churn_prediction_report", path))
