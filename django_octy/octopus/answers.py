"""Reading an Octopus answer: its HTTP status, its ``Code`` and its ``Msg``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import requests

from ..http.bodies import describe_body, json_object
from ..http.retrying import parse_retry_after
from .errors import (
    OctopusAuthError,
    OctopusError,
    OctopusRateLimitError,
    OctopusTransportError,
)

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})

Answer = dict[str, Any]
E = TypeVar("E", bound=OctopusError)


def status_error(response: requests.Response, method: str) -> OctopusError:
    """The exception for an HTTP status other than 2xx (Octopus itself answers 200)."""
    status = response.status_code
    body = json_object(response) or {}
    messages, error_codes = read_messages(body)
    details: dict[str, Any] = {
        "method": method,
        "status": status,
        "messages": messages,
        "error_codes": error_codes,
    }
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return OctopusRateLimitError("Too many requests", retry_after=retry_after, **details)
    if status >= 500:
        retryable = status in RETRYABLE_STATUSES
        return OctopusTransportError("Octopus server error", retryable=retryable, **details)
    if status in (401, 403):
        return OctopusAuthError("Access refused", **details)
    return OctopusError(f"Unexpected HTTP status {status}", **details)


def read_answer(response: requests.Response, method: str) -> Answer:
    """The JSON object of a 2xx answer; raises the mapped error otherwise."""
    if not 200 <= response.status_code < 300:
        raise status_error(response, method)
    body = json_object(response)
    if body is None:
        raise OctopusTransportError(
            f"Octopus answered with a body that is not a JSON object ({describe_body(response)})",
            method=method,
            status=response.status_code,
        )
    return body


def answer_code(answer: Mapping[str, Any]) -> int | None:
    code = answer.get("Code")
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def read_messages(answer: Mapping[str, Any]) -> tuple[list[str], list[int]]:
    """``Msg`` as texts and error codes, whichever of its forms the server uses."""
    raw = answer.get("Msg")
    items = raw if isinstance(raw, list) else [] if raw is None else [raw]
    messages: list[str] = []
    error_codes: list[int] = []
    for item in items:
        if isinstance(item, Mapping):
            messages.append(str(item.get("Message") or ""))
            if isinstance(item.get("ErrorCode"), int):
                error_codes.append(item["ErrorCode"])
        else:
            messages.append(str(item))
    return [message for message in messages if message], error_codes


def refuses_token(answer: Mapping[str, Any]) -> bool:
    """Whether the answer says the Bearer token is invalid or expired."""
    if answer_code(answer) == 0:
        return False
    messages, _ = read_messages(answer)
    return any(
        "token" in text and ("invalid" in text or "expired" in text)
        for text in (message.lower() for message in messages)
    )


def failure(answer: Mapping[str, Any], method: str, message: str, error: type[E]) -> E:
    """The exception for an answer whose ``Code`` is not 0."""
    messages, error_codes = read_messages(answer)
    return error(
        message,
        method=method,
        code=answer_code(answer),
        messages=messages,
        error_codes=error_codes,
        status=200,
    )
