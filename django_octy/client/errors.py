"""One exception hierarchy for everything the Octy client can raise.

Every error carries the HTTP status (``None`` for transport errors), Octy's
``reason``, its ``errors`` list (each with ``error_message`` and
``extended_help``), the request's method and path, and whether retrying can
help. None of them ever holds the secret key: they are built from the response
and the path only, never from the request's headers or the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..http.errors import ServiceError

if TYPE_CHECKING:
    from .results import BatchResult


class OctyError(ServiceError):
    """Base of every error raised by :mod:`django_octy.client`.

    ``partial_result`` is set when a batch write split into several requests
    fails part-way: it holds what the requests before the failing one achieved,
    so that a caller can still record those objects as synced.
    """

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
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.errors = list(errors or [])
        self.method = method
        self.path = path
        self.retry_after = retry_after
        if retryable is not None:
            self.retryable = retryable
        self.partial_result: BatchResult | None = None

    @property
    def extended_help(self) -> list[str]:
        return [str(e["extended_help"]) for e in self.errors if e.get("extended_help")]

    @property
    def error_messages(self) -> list[str]:
        return [str(e["error_message"]) for e in self.errors if e.get("error_message")]

    def request_label(self) -> str:
        return f"Octy {self.method} {self.path}"

    def failure_label(self) -> str:
        return f"HTTP {self.status}" if self.status else type(self).__name__

    def __str__(self) -> str:
        parts = [self.message]
        request = " ".join(part for part in (self.method, self.path) if part)
        if request:
            parts.append(f"({request})")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.reason and self.reason != self.message:
            parts.append(f"reason: {self.reason}")
        if self.error_messages:
            parts.append("errors: " + "; ".join(self.error_messages))
        if self.retry_after is not None:
            parts.append(f"retry after {self.retry_after:g}s")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"reason={self.reason!r}, method={self.method!r}, path={self.path!r}, "
            f"retryable={self.retryable!r})"
        )


class OctyConfigurationError(OctyError):
    """The client was built with settings that cannot work (e.g. a plain-HTTP URL)."""


class OctyTransportError(OctyError):
    """The request did not get an answer: connection refused or dropped, or a timeout."""

    retryable = True


class OctyAPIError(OctyError):
    """Octy answered with a status other than 2xx, or with a body that is not Octy's JSON."""


class OctyUnreadableAnswer(OctyAPIError):
    """A 2xx whose body is not a JSON object (cut short, or a proxy's page).

    It does not say what Octy did: the request may have been carried out or
    not. Retryable, as a whole: nothing in it refuses any one object.
    """

    retryable = True


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
    """5xx: a fault on Octy's side. 500, 502, 503 and 504 may pass and are retryable."""

    retryable = True
