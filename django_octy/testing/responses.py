"""Octy's response bodies: the success envelope and the error body."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

HELP_URL = "https://octy.ai/docs"


@dataclass
class Reply:
    """What a handler answers: a status, a JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised anywhere in a request to answer with Octy's error body."""

    def __init__(self, status: int, reason: str, error_message: str = "", topic: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.error_message = error_message or reason
        self.topic = topic

    def reply(self, headers: dict[str, str] | None = None) -> Reply:
        return Reply(
            self.status,
            error_body(self.status, self.reason, self.error_message, self.topic),
            dict(headers or {}),
        )


def error_body(status: int, reason: str, error_message: str, topic: str = "") -> dict[str, Any]:
    """The body every Octy 4xx/5xx carries (``error.code`` is a string, as Octy sends it)."""
    return {
        "request_meta": {"request_status": "Failure", "message": HTTPStatus(status).phrase},
        "error": {
            "code": str(status),
            "reason": reason,
            "errors": [
                {
                    "error_message": error_message,
                    "extended_help": f"{HELP_URL}/{topic}" if topic else HELP_URL,
                }
            ],
        },
    }


def success(message: str, status: int = 200, **payload: Any) -> Reply:
    """A 2xx with Octy's ``request_meta`` envelope."""
    return Reply(
        status, {"request_meta": {"request_status": "Success", "message": message}, **payload}
    )
