"""The retry policy on its own: which errors are retried, and how long the client waits."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from django_octy.client import (
    OctyAuthError,
    OctyBadRequest,
    OctyError,
    OctyRateLimited,
    OctyServerError,
    OctyTransportError,
)
from django_octy.client.retrying import (
    BACKOFF_CAP,
    BACKOFF_FIRST,
    MAX_RETRY_AFTER,
    call_with_retries,
    parse_retry_after,
)
from django_octy.http.retrying import DeadlinePassed, deadline

NOW = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-4", 0.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),
        ("Sun, 22 Nov 2026 08:00:10", 10.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


class Flaky:
    """Fails with the given errors in turn, then returns "done"."""

    def __init__(self, *errors: OctyError) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def server_error() -> OctyServerError:
    return OctyServerError("Internal Server Error", status=500)


def test_retries_until_success_with_growing_capped_jittered_waits() -> None:
    attempt, waits = Flaky(*[server_error() for _ in range(8)]), list[float]()
    assert call_with_retries(attempt, max_retries=8, sleep=waits.append) == "done"
    assert attempt.calls == 9
    assert len(waits) == 8
    for retry, wait in enumerate(waits):
        assert 0 <= wait <= min(BACKOFF_CAP, BACKOFF_FIRST * 2**retry)


def test_jitter_spreads_the_waits() -> None:
    waits: list[float] = []
    for _ in range(20):
        call_with_retries(Flaky(server_error()), max_retries=1, sleep=waits.append)
    assert len(set(waits)) > 10


def test_gives_up_after_max_retries_with_the_last_error() -> None:
    last = OctyRateLimited("Too Many Requests", status=429, retry_after=2)
    attempt, waits = Flaky(server_error(), server_error(), last, server_error()), list[float]()
    with pytest.raises(OctyRateLimited) as info:
        call_with_retries(attempt, max_retries=2, sleep=waits.append)
    assert info.value is last
    assert attempt.calls == 3


def test_zero_retries_means_one_attempt() -> None:
    attempt, waits = Flaky(server_error()), list[float]()
    with pytest.raises(OctyServerError):
        call_with_retries(attempt, max_retries=0, sleep=waits.append)
    assert (attempt.calls, waits) == (1, [])


@pytest.mark.parametrize(
    "error",
    [
        OctyAuthError("Unauthorized", status=401),
        OctyAuthError("Forbidden", status=403),
        OctyBadRequest("Bad Request", status=400),
        OctyServerError("Not Implemented", status=501, retryable=False),
    ],
)
def test_permanent_errors_are_not_retried(error: OctyError) -> None:
    attempt, waits = Flaky(error), list[float]()
    with pytest.raises(type(error)):
        call_with_retries(attempt, max_retries=5, sleep=waits.append)
    assert (attempt.calls, waits) == (1, [])


def test_retry_after_is_a_minimum_wait() -> None:
    errors = [OctyRateLimited("Too Many Requests", status=429, retry_after=20) for _ in range(3)]
    waits: list[float] = []
    call_with_retries(Flaky(*errors), max_retries=3, sleep=waits.append)
    assert waits and all(wait >= 20 for wait in waits)


def test_transport_errors_are_retried() -> None:
    attempt, waits = Flaky(OctyTransportError("Connection to Octy failed")), list[float]()
    assert call_with_retries(attempt, max_retries=1, sleep=waits.append) == "done"
    assert len(waits) == 1


def test_retry_after_too_long_to_sleep_is_returned_to_the_caller() -> None:
    long_wait = OctyRateLimited("Too Many Requests", status=429, retry_after=MAX_RETRY_AFTER + 1)
    attempt, waits = Flaky(long_wait), list[float]()
    with pytest.raises(OctyRateLimited) as info:
        call_with_retries(attempt, max_retries=5, sleep=waits.append)
    assert (attempt.calls, waits) == (1, [])
    assert info.value.retry_after == MAX_RETRY_AFTER + 1


def test_no_retry_is_waited_for_past_the_deadline() -> None:
    errors = [OctyRateLimited("Too Many Requests", status=429, retry_after=20) for _ in range(3)]
    attempt, waits = Flaky(*errors), list[float]()
    with deadline(time.monotonic() + 10), pytest.raises(OctyRateLimited):
        call_with_retries(attempt, max_retries=3, sleep=waits.append)
    assert (attempt.calls, waits) == (1, [])  # a wait of 20 s would end past it


def test_no_request_is_sent_past_the_deadline() -> None:
    attempt = Flaky()
    with deadline(time.monotonic() - 1), pytest.raises(DeadlinePassed):
        call_with_retries(attempt, max_retries=3, sleep=lambda _: None)
    assert attempt.calls == 0
    assert call_with_retries(attempt, max_retries=3) == "done"  # the deadline ended with its block
