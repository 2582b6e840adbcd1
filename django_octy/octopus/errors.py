"""One exception hierarchy for everything the Octopus client can raise.

Octopus answers failures with HTTP 200 and a negative ``Code``; its ``Msg``
array holds strings (older servers) or ``{"Message", "ErrorCode"}`` objects
(newer ones). Every error keeps both as ``messages`` and ``error_codes``. None
of them ever holds the password or a token: they are built from the answer and
the method name only.
"""

from __future__ import annotations

from typing import Any

from ..http.errors import ServiceError


class OctopusError(ServiceError):
    """Base of every error raised by :mod:`django_octy.octopus`.

    ``code`` is the answer's ``Code`` (``None`` when no Octopus answer came);
    ``status`` the HTTP status (``None`` for transport failures).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        code: int | None = None,
        messages: list[str] | None = None,
        error_codes: list[int] | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.code = code
        self.messages = list(messages or [])
        self.error_codes = list(error_codes or [])
        self.status = status
        self.retry_after = retry_after
        if retryable is not None:
            self.retryable = retryable

    def request_label(self) -> str:
        return f"Octopus {self.method}"

    def failure_label(self) -> str:
        if self.status is not None and self.status != 200:
            return f"HTTP {self.status}"
        if self.code is not None:
            return f"Code {self.code}"
        return type(self).__name__

    def __str__(self) -> str:
        parts = [self.message]
        if self.method:
            parts.append(f"({self.method})")
        if self.status is not None and self.status != 200:
            parts.append(f"HTTP {self.status}")
        if self.code is not None:
            parts.append(f"Code {self.code}")
        if self.messages:
            parts.append("messages: " + "; ".join(self.messages))
        if self.retry_after is not None:
            parts.append(f"retry after {self.retry_after:g}s")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, method={self.method!r}, "
            f"code={self.code!r}, status={self.status!r}, retryable={self.retryable!r})"
        )


class OctopusConfigurationError(OctopusError):
    """The client was built with settings that cannot work (no credentials, plain HTTP)."""


class OctopusAuthError(OctopusError):
    """The credentials were refused, or a token stayed invalid after one re-authentication."""


class OctopusEntryError(OctopusError):
    """Octopus refused the entry sent (a required field missing, a Type change...): permanent."""


class OctopusBatchError(OctopusEntryError):
    """Octopus refused one payload of an aliased request and applied none after it.

    ``written`` holds the Data the answer gave of the payloads applied before
    the refused one, in order: empty when the answer carries the error only
    (then how many were applied is not told).
    """

    written: list[dict[str, Any]]

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.written = []


class OctopusRateLimitError(OctopusError):
    """HTTP 429, still there after the retries (or with a ``Retry-After`` too long to sleep)."""

    retryable = True


class OctopusTransportError(OctopusError):
    """No usable answer: connection refused or dropped, a timeout, a 5xx, a body not JSON."""

    retryable = True
