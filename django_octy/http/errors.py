"""The base of every error an API client raises: what the shared retry policy reads."""

from __future__ import annotations


class ServiceError(Exception):
    """An API call failed. ``retryable`` says whether trying again can help.

    ``retry_after`` is the minimum wait, in seconds, the server asked for.
    Subclasses name the request and the failure for the retry log line.
    """

    retryable: bool = False
    retry_after: float | None = None

    def request_label(self) -> str:
        """The request, as a log line names it (e.g. ``Octy POST /v1/...``)."""
        raise NotImplementedError

    def failure_label(self) -> str:
        """How it failed, in a few words (e.g. ``HTTP 503``)."""
        return type(self).__name__
