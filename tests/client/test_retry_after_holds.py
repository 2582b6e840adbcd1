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


class DictStore:
    """A store two holds instances share, as two processes share a cache."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def get(self, key: str) -> float | None:
        return self.values.get(key)

    def set(self, key: str, until: float, seconds: float) -> None:
        self.values[key] = until


def test_a_hold_reaches_another_instance_through_a_shared_store_by_wall_clock() -> None:
    store, wall = DictStore(), Clock()
    told = RetryAfterHolds(Clock(), shared=store, wall_clock=wall)
    other = RetryAfterHolds(Clock(), shared=store, wall_clock=wall)
    told.hold("pk_live https://api.octy.ai/v1/x", 3.0)
    assert other.remaining("pk_live https://api.octy.ai/v1/x") == 3.0
    wall.now += 2.0
    assert other.remaining("pk_live https://api.octy.ai/v1/x") == 1.0
    assert all("pk_live" not in key for key in store.values)  # the account stays out of keys


def test_a_shorter_hold_does_not_shorten_a_shared_one() -> None:
    store, wall = DictStore(), Clock()
    RetryAfterHolds(Clock(), shared=store, wall_clock=wall).hold("a", 5.0)
    RetryAfterHolds(Clock(), shared=store, wall_clock=wall).hold("a", 1.0)
    assert RetryAfterHolds(Clock(), shared=store, wall_clock=wall).remaining("a") == 5.0
