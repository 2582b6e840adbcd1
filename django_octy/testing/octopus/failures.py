"""Octopus's failure answer: HTTP 200, ``Code`` -1, and ``Msg`` in one of its two forms.

The error codes are the fake's own (the vendor does not publish a list); they
only show up in the object form of ``Msg``.
"""

from __future__ import annotations

from typing import Any, Literal

MsgStyle = Literal["string", "object"]

INVALID_REQUEST = -10000
TOKEN_INVALID = -10001
LOGIN_FAILED = -10002
KEY_TYPE_NOT_SUPPORTED = -10003
REQUIRED_FIELD = -10004
IMMUTABLE_FIELD = -10005
KEY_NOT_FOUND = -10006
UNKNOWN_FIELD = -10007
INVALID_QUERY = -10008
REJECTED = -10009

TOKEN_INVALID_MESSAGE = "Token is invalid"  # noqa: S105 - a message, not a secret


class OctopusFailure(Exception):
    """Raised while handling a request to answer ``Code`` -1 with this message."""

    def __init__(self, message: str, error_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


def messages(texts: list[tuple[str, int]], style: MsgStyle) -> list[Any]:
    """``Msg``: plain strings, or ``{"Message", "ErrorCode"}`` objects."""
    if style == "object":
        return [{"Message": text, "ErrorCode": code} for text, code in texts]
    return [text for text, _ in texts]


def failure_body(failure: OctopusFailure, style: MsgStyle) -> dict[str, Any]:
    return {"Code": -1, "Msg": messages([(failure.message, failure.error_code)], style)}
