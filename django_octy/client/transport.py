"""One HTTP exchange with Octy: the request, its timeouts, the answer or the mapped error.

This is the only module that touches :mod:`requests`. It owns the pooled
session (one per process: recreated after a fork), Basic authentication, the
pacing of :class:`~.ratelimit.RateLimiter`, the retries and ``Retry-After``
holds of :mod:`.retrying`, the request log line, and the translation of every
failure into :mod:`.errors`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Any

import requests
from requests.auth import HTTPBasicAuth

from ..http.bodies import describe_body, describe_request_failure, json_object
from ..http.config import Timeout
from ..http.logging import log_attempt
from ..http.retrying import seconds_left
from ..http.session import PerProcess, pooled_session
from .errors import (
    OctyAPIError,
    OctyAuthError,
    OctyBadRequest,
    OctyError,
    OctyNotFound,
    OctyPayloadTooLarge,
    OctyRateLimited,
    OctyServerError,
    OctyTransportError,
    OctyUnreadableAnswer,
)
from .ratelimit import RateLimiter
from .retrying import (
    MAX_RETRY_AFTER,
    RETRY_AFTER_HOLDS,
    RetryAfterHolds,
    call_with_retries,
    parse_retry_after,
)

logger = logging.getLogger("django_octy.client")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

ERROR_CLASSES: dict[int, type[OctyAPIError]] = {
    400: OctyBadRequest,
    401: OctyAuthError,
    403: OctyAuthError,
    404: OctyNotFound,
    413: OctyPayloadTooLarge,
    429: OctyRateLimited,
}

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class OctyResponse:
    """A successful (2xx) answer: its status, parsed JSON body and headers."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str]


def error_class(status: int) -> type[OctyAPIError]:
    if status in ERROR_CLASSES:
        return ERROR_CLASSES[status]
    if status >= 500:
        return OctyServerError
    if status >= 400:
        return OctyBadRequest
    return OctyAPIError


def _error_entries(error: Mapping[str, Any]) -> list[dict[str, Any]]:
    entries = error.get("errors")
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, dict)]


def api_error(response: requests.Response, method: str, path: str) -> OctyAPIError:
    """The exception for a non-2xx answer, built from Octy's error body when there is one.

    Octy's ``error.code`` arrives as a string or a number; the HTTP status is
    authoritative, so the code is not used.
    """
    status = response.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    body = json_object(response)
    error = body.get("error") if body is not None else None
    if isinstance(error, dict):
        meta = body.get("request_meta") if body is not None else None
        message = str(meta.get("message") or phrase) if isinstance(meta, dict) else phrase
        reason = str(error.get("reason") or "")
        entries = _error_entries(error)
    else:
        message = (
            f"{phrase or 'Unexpected answer'} (not an Octy error body: {describe_body(response)})"
        )
        reason = ""
        entries = []
    return error_class(status)(
        message or f"HTTP {status}",
        status=status,
        reason=reason,
        errors=entries,
        method=method,
        path=path,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        retryable=status in RETRYABLE_STATUSES,
    )


def transport_error(exc: requests.RequestException, method: str, path: str) -> OctyTransportError:
    return OctyTransportError(describe_request_failure(exc, "Octy"), method=method, path=path)


def _json_default(value: Any) -> str:
    """Datetimes become Octy's ``YYYY-MM-DD HH:MM:SS`` (aware ones in UTC)."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo is not None else value
        return moment.strftime(TIMESTAMP_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable: {value!r}")


def encode_body(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, default=_json_default, separators=(",", ":")).encode()


@dataclass(frozen=True)
class _ProcessState:
    session: requests.Session
    limiter: RateLimiter | None


class Transport:
    """Sends requests to one Octy account and returns :class:`OctyResponse` or raises."""

    def __init__(
        self,
        base_url: str,
        auth: HTTPBasicAuth,
        timeout: Timeout,
        max_retries: int,
        requests_per_minute: float | None = None,
        session: requests.Session | None = None,
        holds: RetryAfterHolds | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.holds = holds or RETRY_AFTER_HOLDS
        self.timeout = timeout
        self.max_retries = max_retries
        self.requests_per_minute = requests_per_minute
        self._auth = auth
        self._given_session = session
        self._process = PerProcess(self._new_process_state)

    def _new_process_state(self) -> _ProcessState:
        limiter = RateLimiter(self.requests_per_minute) if self.requests_per_minute else None
        return _ProcessState(self._given_session or pooled_session(), limiter)

    def _per_process(self) -> _ProcessState:
        """The session and limiter of this process; a forked child builds its own."""
        return self._process.get()

    def close(self) -> None:
        process = self._process.discard()
        if process is not None and self._given_session is None:
            process.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        objects: int | None = None,
    ) -> OctyResponse:
        """Send one request (retrying transient failures) and return its 2xx answer."""
        data = encode_body(body) if body is not None else None
        request_headers = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            request_headers["Content-Type"] = "application/json"

        def attempt() -> OctyResponse:
            return self._attempt(method, path, data, params, request_headers, objects)

        return call_with_retries(attempt, self.max_retries)

    def _attempt(
        self,
        method: str,
        path: str,
        data: bytes | None,
        params: Mapping[str, str] | None,
        headers: dict[str, str],
        objects: int | None,
    ) -> OctyResponse:
        target = self._hold_target(path)
        self._wait_for_hold(method, path, target)
        process = self._per_process()
        if process.limiter is not None:
            process.limiter.acquire()
        started = time.monotonic()
        status: int | None = None
        try:
            try:
                response = process.session.request(
                    method,
                    self.base_url + path,
                    data=data,
                    params=params,
                    headers=headers,
                    auth=self._auth,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                raise transport_error(exc, method, path) from exc
            status = response.status_code
            answer = read_response(response, method, path)
        except OctyError as error:
            if error.retry_after is not None:
                self.holds.hold(target, error.retry_after)
            _log(method, path, status, objects, time.monotonic() - started, error)
            raise
        _log(method, path, status, objects, time.monotonic() - started, None)
        return answer

    def _hold_target(self, path: str) -> str:
        """What a ``Retry-After`` holds back: this path of this account."""
        return f"{self._auth.username!r} {self.base_url}{path}"

    def _wait_for_hold(self, method: str, path: str, target: str) -> None:
        """Sleep out a ``Retry-After`` that Octy gave any client sharing these holds for ``path``.

        A hold longer than :data:`~.retrying.MAX_RETRY_AFTER`, or past the caller's
        :func:`~django_octy.http.retrying.deadline`, is not slept through: the
        request is not sent and the error says how long to wait, as when Octy
        itself answers with such a ``Retry-After``.
        """
        wait = self.holds.remaining(target)
        left = seconds_left()
        if wait > MAX_RETRY_AFTER or (wait > 0 and left is not None and wait >= left):
            raise OctyRateLimited(
                "Octy asked for a pause before calling this path again",
                method=method,
                path=path,
                retry_after=wait,
            )
        if wait > 0:
            time.sleep(wait)


def read_response(response: requests.Response, method: str, path: str) -> OctyResponse:
    """The answer of a 2xx with a JSON object body; raises the mapped error otherwise."""
    if not 200 <= response.status_code < 300:
        raise api_error(response, method, path)
    body = json_object(response)
    if body is None:
        raise OctyUnreadableAnswer(
            f"Octy answered with a body that is not a JSON object ({describe_body(response)})",
            status=response.status_code,
            method=method,
            path=path,
        )
    return OctyResponse(response.status_code, body, response.headers)


def _log(
    method: str,
    path: str,
    status: int | None,
    objects: int | None,
    duration: float,
    error: OctyError | None,
) -> None:
    """One line per attempt; bodies and credentials are never logged."""
    outcome = status if status is not None else type(error).__name__
    log_attempt(
        logger,
        f"Octy {method} {path}",
        f"{outcome} ({'-' if objects is None else objects} objects)",
        duration,
        error,
        {
            "octy_method": method,
            "octy_path": path,
            "octy_status": status,
            "octy_objects": objects,
            "octy_duration": duration,
        },
    )
