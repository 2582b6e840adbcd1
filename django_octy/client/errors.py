"""One exception hierarchy for everything the Octy client can raise.

Every error carries the HTTP status (``None`` for transport errors), Octy's
``reason``, its ``errors`` list (each with ``error_message`` and
``extended_help``), the request's method and path, and whether retrying can
help. None of them ever holds the secret key: they are built from the response
and the path only, never from the request's headers or the client.
"""

from __future__ import annotations

from typing import Any


class OctyError(Exception):
    """Base of every error raised by :mod:`django_octy.client`."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        reason: str = "",
        errors: list[dict[str, Any]] | None = None,
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.errors = list(errors or [])
        self.method = method
        self.path = path
        self.retry_after = retry_after

    @property
    def extended_help(self) -> list[str]:
        return [e["extended_help"] for e in self.errors if e.get("extended_help")]

    @property
    def error_messages(self) -> list[str]:
        return [str(e["error_message"]) for e in self.errors if e.get("error_message")]

    def __str__(self) -> str:
        parts = [self.message]
        if self.method or self.path:
            parts.append(f"({self.method} {self.path})".replace("( ", "("))
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.reason and self.reason != self.message:
            parts.append(f"reason: {self.reason}")
        if self.error_messages:
            parts.append("errors: " + "; ".join(self.error_messages))
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, reason={self.reason!r}, "
            f"method={self.method!r}, path={self.path!r})"
        )


class OctyConfigurationError(OctyError):
    """The client was built with settings that cannot work (e.g. a plain-HTTP URL)."""


class OctyTransportError(OctyError):
    """The request did not get an answer: connection refused or dropped, or a timeout."""

    retryable = True


class OctyAPIError(OctyError):
    """Octy answered with a 4xx or 5xx status."""


class OctyBadRequest(OctyAPIError):
    """400 (and other permanent 4xx without a class of their own): fix the request."""


class OctyAuthError(OctyAPIError):
    """401 or 403: the keys are wrong or lack rights. Retrying will not help."""


class OctyNotFound(OctyAPIError):
    """404."""


class OctyPayloadTooLarge(OctyAPIError):
    """413: the body was over the server's limit; send fewer objects."""


class OctyRateLimited(OctyAPIError):
    """429: over the per-minute fair-usage limit. ``retry_after`` is set when Octy said."""

    retryable = True


class OctyServerError(OctyAPIError):
    """500, 502, 503 or 504: a fault on Octy's side that may pass."""

    retryable = True
