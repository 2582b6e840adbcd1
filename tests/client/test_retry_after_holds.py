"""A ``Retry-After`` holds back every client of the process on that path, not only the one told."""

from __future__ import annotations

import time

from django_octy.client import OctyRateLimited
from django_octy.client.retrying import MAX_RETRY_AFTER, RetryAfterHolds
from django_octy.testing import FakeOcty

from .conftest import ClientFactory
from .data import profile
from .evidence import raises

AUTHENTICATE = "/v1/account/authenticate"
CREATE_PROFILES = "/v1/retention/profiles/create"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_hold_counts_down_and_ends() -> None:
    clock = Clock()
    holds = RetryAfterHolds(clock)
    holds.hold("a", 2.0)
    assert holds.remaining("a") == 2.0
    clock.now += 1.5
    assert holds.remaining("a") == 0.5
    clock.now += 0.5
    assert holds.remaining("a") == 0.0
    assert holds.remaining("never held") == 0.0


def test_the_later_end_of_two_holds_wins_and_targets_are_apart() -> None:
    clock = Clock()
    holds = RetryAfterHolds(clock)
    holds.hold("a", 5.0)
    holds.hold("a", 1.0)
    holds.hold("b", 1.0)
    assert (holds.remaining("a"), holds.remaining("b")) == (5.0, 1.0)


def test_a_retry_after_given_to_one_client_holds_back_another(
    make_client: ClientFactory, octy: FakeOcty
) -> None:
    told, other = make_client(max_retries=0), make_client(max_retries=0)
    octy.inject(CREATE_PROFILES, status=429, retry_after=1, times=1)
    with raises(OctyRateLimited):
        told.create_profiles([profile("first")])

    other.authenticate()  # another path is not held
    other.create_profiles([profile("second")])

    limited, authenticated, created = octy.request_log
    assert (limited.status, authenticated.path, created.status) == (429, AUTHENTICATE, 201)
    assert authenticated.started_at < limited.finished_at + 1.0
    assert created.started_at >= limited.finished_at + 1.0


def test_a_hold_too_long_to_sleep_fails_at_once_without_a_request(
    make_client: ClientFactory, octy: FakeOcty
) -> None:
    told, other = make_client(max_retries=0), make_client(max_retries=3)
    octy.inject(CREATE_PROFILES, status=429, retry_after=MAX_RETRY_AFTER + 30, times=1)
    with raises(OctyRateLimited):
        told.create_profiles([profile("first")])

    started = time.monotonic()
    with raises(OctyRateLimited) as info:
        other.create_profiles([profile("second")])

    assert time.monotonic() - started < 1.0
    assert info.value.retry_after is not None
    assert MAX_RETRY_AFTER < info.value.retry_after <= MAX_RETRY_AFTER + 30
    assert [entry.status for entry in octy.request_log] == [429]


def test_clear_forgets_every_hold() -> None:
    holds = RetryAfterHolds(Clock())
    holds.hold("a", 5.0)
    holds.clear()
    assert holds.remaining("a") == 0.0
