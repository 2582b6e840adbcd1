"""A ``Retry-After`` holds back every worker process, not only the one told (issue 14 item 8).

The docs recommend prefork concurrency 4: four processes push to one Octy
account. A 429 answered to one of them used to hold back that process only;
another process sent its request to the same path at once. Now the sync
engine's clients share their holds through Django's cache
(``OCTY["CACHE_ALIAS"]``), here a real file-based cache, and the other process
here is a real one (forked before the 429, so it cannot have inherited the hold
in memory).
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from django_octy.client import OctyRateLimited
from django_octy.connection import get_client
from django_octy.testing import FakeOcty

pytestmark = pytest.mark.reliability

CREATE_PROFILES = "/v1/retention/profiles/create"
RETRY_AFTER = 1.0
SPAWN_TIMEOUT = 30.0


def profile(customer_id: str) -> dict[str, Any]:
    return {"customer_id": customer_id, "profile_data": {"a": 1}, "platform_info": {"b": 2}}


def push_when_told(go: Any, done: Any) -> None:
    """The other worker process: one push to the held path once the first process was told."""
    go.wait(SPAWN_TIMEOUT)
    try:
        with get_client() as client:
            client.create_profiles([profile("second")])
        done.put("pushed")
    except OctyRateLimited as error:
        done.put(f"refused: {error.retry_after}")


@pytest.fixture
def shared_cache(settings: Any, tmp_path: Path, octy_settings: FakeOcty) -> FakeOcty:
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        },
    }
    settings.OCTY = {**settings.OCTY, "CACHE_ALIAS": "shared", "MAX_RETRIES": 0}
    return octy_settings


def test_a_429_told_to_one_process_holds_back_another(shared_cache: FakeOcty) -> None:
    octy = shared_cache
    fork = multiprocessing.get_context("fork")
    go, done = fork.Event(), fork.Queue()
    other = fork.Process(target=push_when_told, args=(go, done))
    other.start()
    try:
        octy.inject(CREATE_PROFILES, status=429, retry_after=RETRY_AFTER, times=1)
        with get_client() as client, pytest.raises(OctyRateLimited):
            client.create_profiles([profile("first")])
        go.set()
        assert done.get(timeout=SPAWN_TIMEOUT) == "pushed"
    finally:
        other.join(SPAWN_TIMEOUT)

    limited, created = octy.request_log
    assert (limited.status, created.status) == (429, 201)
    early = limited.finished_at + RETRY_AFTER - created.started_at
    print(f"\nthe other process's request left {max(early, 0.0):.2f} s before the hold ended")
    assert created.started_at >= limited.finished_at + RETRY_AFTER - 0.05
