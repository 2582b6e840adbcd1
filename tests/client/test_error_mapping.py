"""How answers and failures become exceptions.

The only client tests that fake the network: a requests adapter mounted on
the client's session answers with canned responses, so that every status,
body shape and transport failure can be produced exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from django_octy.client import (
    OctyAPIError,
    OctyAuthError,
    OctyBadRequest,
    OctyClient,
    OctyError,
    OctyNotFound,
    OctyPayloadTooLarge,
    OctyRateLimited,
    OctyServerError,
    OctyTransportError,
    OctyUnreadableAnswer,
)

from .evidence import EVIDENCE, raises

E = TypeVar("E", bound=OctyError)

PUBLIC_KEY = "pk_unit"
SECRET_KEY = "sk_unit_must_never_show"
PATH = "/v1/retention/profiles/create"


def octy_error_body(status: int, code: Any = None) -> dict[str, Any]:
    return {
        "request_meta": {"request_status": "Failure", "message": "Bad Request"},
        "error": {
            "code": str(status) if code is None else code,
            "reason": "Invalid customer identifier provided",
            "errors": [
                {
                    "error_message": "No customer profiles were found.",
                    "extended_help": "https://octy.ai/docs/profiles",
                }
            ],
        },
    }


Outcome = requests.Response | requests.RequestException


class CannedAdapter(BaseAdapter):
    """Answers each request with the next canned outcome and counts the requests."""

    def __init__(self, *outcomes: Callable[[requests.PreparedRequest], Outcome]) -> None:
        super().__init__()
        self.outcomes = list(outcomes)
        self.sent: list[requests.PreparedRequest] = []
        self.timeouts: list[Any] = []

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        self.sent.append(request)
        self.timeouts.append(kwargs.get("timeout"))
        outcome = self.outcomes[min(len(self.sent), len(self.outcomes)) - 1](request)
        if isinstance(outcome, requests.RequestException):
            raise outcome
        return outcome

    def close(self) -> None:
        pass


def answer(
    status: int,
    body: Any = None,
    *,
    raw: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Callable[[requests.PreparedRequest], requests.Response]:
    def build(request: requests.PreparedRequest) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = raw if raw is not None else json.dumps(body).encode()
        response.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json" if raw is None else "text/html", **(headers or {})}
        )
        response.request = request
        response.url = request.url or ""
        return response

    return build


def failure(exception: type[requests.RequestException]) -> Callable[..., Outcome]:
    return lambda request: exception("simulated", request=request)


def canned_client(adapter: CannedAdapter, max_retries: int = 0) -> OctyClient:
    session = requests.Session()
    session.mount("https://", adapter)
    EVIDENCE.add_secret(PUBLIC_KEY, SECRET_KEY)
    return OctyClient(PUBLIC_KEY, SECRET_KEY, session=session, max_retries=max_retries)


def error_from(expected: type[E], adapter: CannedAdapter, max_retries: int = 0) -> E:
    """The error raised when one profile is created through ``adapter``."""
    with raises(expected) as info:
        canned_client(adapter, max_retries).create_profiles([{"customer_id": "c1"}])
    return info.value


@pytest.mark.parametrize(
    ("status", "expected", "retryable"),
    [
        (400, OctyBadRequest, False),
        (401, OctyAuthError, False),
        (403, OctyAuthError, False),
        (404, OctyNotFound, False),
        (405, OctyBadRequest, False),
        (411, OctyBadRequest, False),
        (413, OctyPayloadTooLarge, False),
        (415, OctyBadRequest, False),
        (429, OctyRateLimited, True),
        (500, OctyServerError, True),
        (501, OctyServerError, False),
        (502, OctyServerError, True),
        (503, OctyServerError, True),
        (504, OctyServerError, True),
    ],
)
def test_status_maps_to_class_and_retryability(
    status: int, expected: type[OctyAPIError], retryable: bool
) -> None:
    adapter = CannedAdapter(answer(status, octy_error_body(status)))
    error = error_from(expected, adapter)
    assert type(error) is expected
    assert error.status == status
    assert error.retryable is retryable
    assert len(adapter.sent) == 1


def test_octy_error_body_is_read_into_the_error() -> None:
    adapter = CannedAdapter(answer(400, octy_error_body(400)))
    error = error_from(OctyBadRequest, adapter)
    assert error.reason == "Invalid customer identifier provided"
    assert error.error_messages == ["No customer profiles were found."]
    assert error.extended_help == ["https://octy.ai/docs/profiles"]
    assert (error.method, error.path) == ("POST", PATH)
    assert str(error) == (
        f"Bad Request (POST {PATH}) HTTP 400 reason: Invalid customer identifier provided "
        "errors: No customer profiles were found."
    )


@pytest.mark.parametrize("code", ["400", 400, 400.0, None, "E_BAD", {"odd": True}])
def test_error_code_may_be_a_string_a_number_or_anything(code: Any) -> None:
    body = octy_error_body(400)
    body["error"]["code"] = code
    adapter = CannedAdapter(answer(400, body))
    error = error_from(OctyBadRequest, adapter)
    assert error.status == 400
    assert error.reason == "Invalid customer identifier provided"


@pytest.mark.parametrize("errors", [None, "not a list", [None, "text", {"error_message": "kept"}]])
def test_malformed_errors_list_keeps_what_is_usable(errors: Any) -> None:
    body = octy_error_body(400)
    body["error"]["errors"] = errors
    adapter = CannedAdapter(answer(400, body))
    error = error_from(OctyBadRequest, adapter)
    expected = ["kept"] if isinstance(errors, list) else []
    assert error.error_messages == expected


def test_non_json_error_body_is_described_not_quoted() -> None:
    page = b"<html><body>502 Bad Gateway from the proxy: Authorization: Basic abc</body></html>"
    adapter = CannedAdapter(answer(502, raw=page))
    error = error_from(OctyServerError, adapter)
    assert error.retryable
    assert "not an Octy error body" in str(error)
    assert f"{len(page)} bytes, text/html" in str(error)
    assert "Authorization" not in str(error)
    assert error.reason == ""
    assert error.errors == []


@pytest.mark.parametrize("body", [[1, 2], "just a string", {"unexpected": "shape"}])
def test_json_error_body_without_octy_shape(body: Any) -> None:
    adapter = CannedAdapter(answer(404, body))
    error = error_from(OctyNotFound, adapter)
    assert error.status == 404
    assert "not an Octy error body" in str(error)


@pytest.mark.parametrize("raw", [b"<html>maintenance</html>", b'{"request_meta": {"stat'])
def test_success_status_with_a_body_not_json_is_unreadable_and_retried(raw: bytes) -> None:
    # It does not say what Octy did: a transient failure, never a refusal of the objects.
    adapter = CannedAdapter(answer(200, raw=raw))
    error = error_from(OctyUnreadableAnswer, adapter, max_retries=3)
    assert isinstance(error, OctyAPIError)
    assert error.status == 200
    assert error.retryable
    assert len(adapter.sent) == 4


def test_retry_after_in_seconds_is_kept_on_the_error() -> None:
    adapter = CannedAdapter(answer(429, octy_error_body(429), headers={"Retry-After": "7"}))
    error = error_from(OctyRateLimited, adapter)
    assert error.retry_after == 7.0
    assert "retry after 7s" in str(error)


def test_retry_after_as_http_date_is_kept_on_the_error() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    adapter = CannedAdapter(answer(503, octy_error_body(503), headers={"Retry-After": when}))
    error = error_from(OctyServerError, adapter)
    assert error.retry_after is not None
    assert 27 <= error.retry_after <= 30


@pytest.mark.parametrize(
    ("exception", "message"),
    [
        (requests.ConnectionError, "Connection to Octy failed"),
        (requests.ConnectTimeout, "Timed out connecting to Octy"),
        (requests.ReadTimeout, "Timed out waiting for Octy's answer"),
        (requests.TooManyRedirects, "Request to Octy failed"),
    ],
)
def test_transport_failures_are_retryable_transport_errors(
    exception: type[requests.RequestException], message: str
) -> None:
    adapter = CannedAdapter(failure(exception))
    error = error_from(OctyTransportError, adapter)
    assert error.retryable
    assert error.status is None
    assert str(error).startswith(message)
    assert isinstance(error.__cause__, exception)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_permanent_errors_are_sent_once_whatever_max_retries(status: int) -> None:
    adapter = CannedAdapter(answer(status, octy_error_body(status)))
    assert not error_from(OctyError, adapter, max_retries=3).retryable
    assert len(adapter.sent) == 1


def test_failed_later_request_of_a_split_batch_keeps_the_earlier_result() -> None:
    created = {
        "request_meta": {"request_status": "Success", "message": "Profiles created"},
        "profiles": [{"customer_id": f"c{n}", "profile_id": f"p{n}"} for n in range(500)],
        "failed_to_create": [],
    }
    adapter = CannedAdapter(answer(201, created), answer(400, octy_error_body(400)))
    client = canned_client(adapter)
    with raises(OctyBadRequest) as info:
        client.create_profiles([{"customer_id": f"c{n}"} for n in range(600)])
    partial = info.value.partial_result
    assert partial is not None
    assert partial.requests == 1
    assert len(partial.succeeded) == 500
    assert len(adapter.sent) == 2


def test_every_request_carries_basic_auth_and_timeouts() -> None:
    adapter = CannedAdapter(answer(200, {"request_meta": {"request_status": "Success"}}))
    canned_client(adapter).authenticate()
    assert adapter.timeouts == [(5.0, 30.0)]
    assert adapter.sent[0].headers["Authorization"].startswith("Basic ")
