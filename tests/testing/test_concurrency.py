"""Many clients at once: one lock keeps the store consistent, and a slow request blocks no other."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from django_octy.testing import FakeOcty

from .conftest import Api


def test_concurrent_batches_lose_nothing(octy_server: FakeOcty) -> None:
    def push(worker: int) -> list[str]:
        api = Api(octy_server)
        created: list[str] = []
        for batch in range(10):
            customers = [f"w{worker}-b{batch}-{n}" for n in range(50)]
            created.extend(api.create_profiles(*customers).values())
        return created

    with ThreadPoolExecutor(max_workers=8) as pool:
        profile_ids = [pid for ids in pool.map(push, range(8)) for pid in ids]

    assert len(profile_ids) == len(set(profile_ids)) == 4000
    assert len(octy_server.profiles) == 4000
    assert len(octy_server.request_log) == 80


def test_a_delayed_request_does_not_hold_up_others(octy_server: FakeOcty) -> None:
    octy_server.inject("/v1/retention/items", delay=1.0)
    api = Api(octy_server)
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(Api(octy_server).get, "/v1/retention/items")
        time.sleep(0.1)
        started = time.monotonic()
        assert api.get("/v1/retention/profiles").status_code == 200
        assert time.monotonic() - started < 0.5
        assert slow.result().status_code == 200


def test_held_answers_show_how_many_requests_are_in_flight(octy_server: FakeOcty) -> None:
    octy_server.in_flight.hold()
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = [pool.submit(Api(octy_server).get, "/v1/retention/items") for _ in range(3)]
        try:
            assert octy_server.in_flight.wait_for(3)
            assert octy_server.in_flight.current == 3
        finally:
            octy_server.in_flight.release()
        assert [answer.result().status_code for answer in answers] == [200, 200, 200]
    assert octy_server.in_flight.current == 0
    assert octy_server.in_flight.peak == 3
    octy_server.reset()
    assert octy_server.in_flight.peak == 0
