"""Client-side pacing of requests."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest
import requests

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
    # When each request left the client: where the fake's clock would start it, a new
    # connection's set-up (a few ms, more on a busy machine) shifts one start, not the pace.
    sent: list[float] = []

    def record(response: requests.Response, **_: Any) -> None:
        sent.append(time.perf_counter() - response.elapsed.total_seconds())

    session = requests.Session()
    session.hooks["response"].append(record)
    client = make_client(requests_per_minute=600, session=session)  # one request per 100 ms
    for _ in range(4):
        client.authenticate()
    session.close()
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert len(octy.request_log) == len(sent) == 4
    assert min(gaps) >= 0.09
