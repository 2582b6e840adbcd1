"""A full resync of 100,000 profiles (200 requests of 500) stays fast: no per-object scans."""

from __future__ import annotations

import time

from tests.client.data import profile

from .conftest import Api

PROFILES = "/v1/retention/profiles"
BATCHES = 200
BATCH_SIZE = 500


def test_100k_profile_resync_and_listing(api: Api) -> None:
    started = time.monotonic()
    for batch in range(BATCHES):
        profiles = [profile(f"c{batch}-{n}", profile_data={"n": n}) for n in range(BATCH_SIZE)]
        response = api.post(PROFILES + "/create", {"profiles": profiles})
        assert response.status_code == 201 and not response.json()["failed_to_create"]
    profile_ids = [p["profile_id"] for p in api.octy.profiles.values()]
    for batch in range(BATCHES):
        chunk = profile_ids[batch * BATCH_SIZE : (batch + 1) * BATCH_SIZE]
        body = {"profiles": [{"profile_id": pid, "has_charged": True} for pid in chunk]}
        response = api.post(PROFILES + "/update", body)
        assert response.status_code == 200 and not response.json()["failed_to_update"]
    last = api.get(PROFILES, headers={"cursor": str(99_900)})
    elapsed = time.monotonic() - started

    assert len(api.octy.profiles) == 100_000
    assert last.json()["request_meta"] == {
        "request_status": "Success",
        "message": "100 customer profiles found",
        "count": 100,
        "total": 100_000,
    }
    assert last.headers["cursor"] == "100", "the rows returned, as Octy's CLI reads it"
    # About 8 s on a 2-core machine; an O(N) scan per object would take hours.
    assert elapsed < 60, f"resync took {elapsed:.1f}s"
