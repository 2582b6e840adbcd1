"""Reading an answer's body, and naming a failed request, without echoing what it carried."""

from __future__ import annotations

from typing import Any

import requests


def json_object(response: requests.Response) -> dict[str, Any] | None:
    """The body parsed as a JSON object, or ``None`` if it is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def describe_body(response: requests.Response) -> str:
    """What a non-JSON body looks like, without its text (a proxy page may echo headers)."""
    content_type = response.headers.get("Content-Type") or "no content type"
    return f"{len(response.content)} bytes, {content_type}"


def describe_request_failure(exc: requests.RequestException, service: str) -> str:
    """Why no answer came, in words that hold neither the URL nor the headers."""
    if isinstance(exc, requests.ConnectTimeout):
        what = f"Timed out connecting to {service}"
    elif isinstance(exc, requests.Timeout):
        what = f"Timed out waiting for {service}'s answer"
    elif isinstance(exc, requests.ConnectionError):
        what = f"Connection to {service} failed"
    else:
        what = f"Request to {service} failed"
    return f"{what}: {type(exc).__name__}"
