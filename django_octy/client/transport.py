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
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth

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
)
from .ratelimit import RateLimiter
from .retrying import (
    MAX_RETRY_AFTER,
    RETRY_AFTER_HOLDS,
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

Timeout = tuple[float, float]
"""(connect, read) timeouts in seconds."""


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


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _error_entries(error: Mapping[str, Any]) -> list[dict[str, Any]]:
    entries = error.get("errors")
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, dict)]


def _describe_body(response: requests.Response) -> str:
    """What a non-JSON body looks like, without its text (a proxy page may echo headers)."""
    content_type = response.headers.get("Content-Type") or "no content type"
    return f"{len(response.content)} bytes, {content_type}"


def api_error(response: requests.Response, method: str, path: str) -> OctyAPIError:
    """The exception for a non-2xx answer, built from Octy's error body when there is one.

    Octy's ``error.code`` arrives as a string or a number; the HTTP status is
    authoritative, so the code is not used.
    """
    status = response.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    body = _json_object(response)
    error = body.get("error") if body is not None else None
    if isinstance(error, dict):
        meta = body.get("request_meta") if body is not None else None
        message = str(meta.get("message") or phrase) if isinstance(meta, dict) else phrase
        reason = str(error.get("reason") or "")
        entries = _error_entries(error)
    else:
        message = (
            f"{phrase or 'Unexpected answer'} (not an Octy error body: {_describe_body(response)})"
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
    if isinstance(exc, requests.ConnectTimeout):
        what = "Timed out connecting to Octy"
    elif isinstance(exc, requests.Timeout):
        what = "Timed out waiting for Octy's answer"
    elif isinstance(exc, requests.ConnectionError):
        what = "Connection to Octy failed"
    else:
        what = "Request to Octy failed"
    return OctyTransportError(f"{what}: {type(exc).__name__}", method=method, path=path)


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
    pid: int
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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.requests_per_minute = requests_per_minute
        self._auth = auth
        self._given_session = session
        self._process: _ProcessState | None = None

    def _per_process(self) -> _ProcessState:
        """The session and limiter of this process; a forked child builds its own.

        Swapped in as one object, so threads never see half of a new state.
        """
        process = self._process
        if process is None or process.pid != os.getpid():
            limiter = RateLimiter(self.requests_per_minute) if self.requests_per_minute else None
            process = _ProcessState(
                os.getpid(), self._given_session or self._new_session(), limiter
            )
            self._process = process
        return process

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        # Retries are ours (with backoff and Retry-After); urllib3's would hide them.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=10, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def close(self) -> None:
        process, self._process = self._process, None
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
                RETRY_AFTER_HOLDS.hold(target, error.retry_after)
            _log(method, path, status, objects, time.monotonic() - started, error)
            raise
        _log(method, path, status, objects, time.monotonic() - started, None)
        return answer

    def _hold_target(self, path: str) -> str:
        """What a ``Retry-After`` holds back: this path of this account."""
        return f"{self._auth.username!r} {self.base_url}{path}"

    def _wait_for_hold(self, method: str, path: str, target: str) -> None:
        """Sleep out a ``Retry-After`` that Octy gave any client of this process for ``path``.

        A hold longer than :data:`~.retrying.MAX_RETRY_AFTER` is not slept through:
        the request is not sent and the error says how long to wait, as when Octy
        itself answers with such a ``Retry-After``.
        """
        wait = RETRY_AFTER_HOLDS.remaining(target)
        if wait > MAX_RETRY_AFTER:
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
    body = _json_object(response)
    if body is None:
        raise OctyAPIError(
            f"Octy answered with a body that is not a JSON object ({_describe_body(response)})",
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
    logger.log(
        logging.DEBUG if error is None else logging.WARNING,
        "Octy %s %s -> %s (%s objects) in %.3fs%s",
        method,
        path,
        status if status is not None else type(error).__name__,
        "-" if objects is None else objects,
        duration,
        f": {error}" if error is not None else "",
        extra={
            "octy_method": method,
            "octy_path": path,
            "octy_status": status,
            "octy_objects": objects,
            "octy_duration": duration,
        },
    )
