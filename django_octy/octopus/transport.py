"""One exchange with Octopus: ``POST {base}/{Method}``, its retries and its log line.

The only module of this package that touches :mod:`requests`. The session is
pooled and per process (:mod:`django_octy.http.session`); the retry policy is
the one the Octy client uses (:mod:`django_octy.http.retrying`). The Bearer
token goes in a header and is never logged; bodies are never logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import requests

from ..http.bodies import describe_request_failure
from ..http.config import Timeout
from ..http.logging import log_attempt
from ..http.retrying import call_with_retries
from ..http.session import PerProcess, pooled_session
from .answers import Answer, answer_code, read_answer
from .errors import OctopusError, OctopusTransportError

logger = logging.getLogger("django_octy.octopus")


class OctopusTransport:
    """Posts JSON bodies to the methods under one base URL."""

    def __init__(
        self,
        base_url: str,
        timeout: Timeout,
        max_retries: int,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self._given_session = session
        self._sessions = PerProcess(lambda: session or pooled_session())

    def close(self) -> None:
        session = self._sessions.discard()
        if session is not None and self._given_session is None:
            session.close()

    def post(
        self,
        method: str,
        body: Mapping[str, Any],
        token: str | None,
        retries: int | None = None,
    ) -> Answer:
        """The answer to ``method`` (any ``Code``), transient failures retried ``retries``
        times (the transport's ``max_retries`` by default)."""
        data = json.dumps(body, separators=(",", ":")).encode()
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return call_with_retries(
            lambda: self._post_once(method, data, headers),
            self.max_retries if retries is None else retries,
            logger,
        )

    def _post_once(self, method: str, data: bytes, headers: dict[str, str]) -> Answer:
        started = time.monotonic()
        try:
            answer = self._exchange(method, data, headers)
        except OctopusError as error:
            log_exchange(method, time.monotonic() - started, error.status, error.code, error)
            raise
        log_exchange(method, time.monotonic() - started, 200, answer_code(answer), None)
        return answer

    def _exchange(self, method: str, data: bytes, headers: dict[str, str]) -> Answer:
        try:
            response = self._sessions.get().post(
                f"{self.base_url}/{method}",
                data=data,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise OctopusTransportError(
                describe_request_failure(exc, "Octopus"), method=method
            ) from exc
        return read_answer(response, method)


def log_exchange(
    method: str,
    duration: float,
    status: int | None,
    code: int | None,
    error: OctopusError | None,
) -> None:
    """One line per attempt: the method, HTTP status, Code and time; never a body or token."""
    reached = f"HTTP {status}" if status is not None else type(error).__name__
    facts = {"method": method, "status": status, "code": code, "duration": duration}
    log_attempt(
        logger,
        f"Octopus {method}",
        f"{reached}, Code {'-' if code is None else code}",
        duration,
        error,
        {f"octopus_{name}": value for name, value in facts.items()},
    )
