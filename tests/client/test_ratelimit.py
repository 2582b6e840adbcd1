"""Client-side pacing of requests."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from django_octy.client import OctyConfigurationError, RateLimiter
from django_octy.testing import FakeOcty

from .conftest import ClientFactory


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_calls_are_spaced_evenly() -> None:
    clock = Clock()
    limiter = RateLimiter(120, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == [0.0, 0.5, 0.5, 0.5]
    assert clock.now == 101.5


def test_idle_time_is_not_saved_up_for_a_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now += 10
    assert [limiter.acquire(), limiter.acquire()] == [0.0, 1.0]


def test_threads_share_the_pace() -> None:
    limiter = RateLimiter(1200)  # one call per 50 ms
    started: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(4):
            limiter.acquire()
            with lock:
                started.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    started.sort()
    gaps = [later - earlier for earlier, later in itertools.pairwise(started)]
    assert len(started) == 16
    assert min(gaps) >= 0.04
    assert started[-1] - started[0] >= 15 * 0.05 - 0.01


def test_limiter_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)


def test_client_refuses_a_rate_that_is_not_positive(make_client: ClientFactory) -> None:
    with pytest.raises(OctyConfigurationError, match="requests_per_minute"):
        make_client(requests_per_minute=0)


def test_client_paces_its_requests(octy: FakeOcty, make_client: ClientFactory) -> None:
    client = make_client(requests_per_minute=600)  # one request per 100 ms
    for _ in range(4):
        client.authenticate()
    starts = [entry.started_at for entry in octy.request_log]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(starts) == 4
    assert min(gaps) >= 0.09
