"""Fault injection: statuses with Retry-After, counted rules, delays, dropped connections,
rejected objects, seeded storms, latency and reset."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest
import requests

from django_octy.testing import FakeOcty
from tests.client.data import profile

from .conftest import Api, assert_octy_error

PROFILES = "/v1/retention/profiles"


def test_status_with_retry_after_then_normal_again(api: Api) -> None:
    api.octy.inject("/v1/retention/profiles", status=429, retry_after=2)
    limited = api.post(PROFILES + "/create", {"profiles": [profile("c1")]})
    assert_octy_error(limited, 429)
    assert limited.headers["Retry-After"] == "2"
    assert not api.octy.profiles
    assert api.post(PROFILES + "/create", {"profiles": [profile("c1")]}).status_code == 201
    first, second = api.octy.request_log
    assert (first.status, first.retry_after) == (429, 2)
    assert (second.status, second.retry_after) == (201, None)


def test_times_counts_matching_requests_only(api: Api) -> None:
    api.octy.inject("/v1/retention/items", status=503, times=2)
    assert api.get(PROFILES).status_code == 200
    statuses = [api.get("/v1/retention/items").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert "Retry-After" not in api.get("/v1/retention/items").headers


def test_times_none_applies_to_every_request(api: Api) -> None:
    api.octy.inject("/v1/", status=500, times=None)
    assert [api.get(PROFILES).status_code for _ in range(4)] == [500] * 4


def test_delay_sleeps_before_answering(api: Api) -> None:
    api.octy.inject(PROFILES, delay=0.3)
    started = time.monotonic()
    assert api.get(PROFILES).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert api.octy.request_log[-1].duration >= 0.3
    started = time.monotonic()
    api.get(PROFILES)
    assert time.monotonic() - started < 0.3


def test_dropped_connection_raises_connection_error(api: Api) -> None:
    api.octy.inject("/v1/retention/events", drop_connection=True)
    with pytest.raises(requests.ConnectionError):
        api.post("/v1/retention/events/create/batch", {"events": []})
    entry = api.octy.request_log[-1]
    assert entry.dropped and entry.status is None
    assert api.post("/v1/retention/events/create/batch", {"events": []}).status_code == 201


def test_reject_object_fails_that_object_only(api: Api) -> None:
    api.octy.reject_object("c2", "Profile blocked for testing")
    body = {"profiles": [profile("c1"), profile("c2"), profile("c3")]}
    response = api.post(PROFILES + "/create", body)
    assert [p["customer_id"] for p in response.json()["profiles"]] == ["c1", "c3"]
    assert response.json()["failed_to_create"] == [
        {"customer_id": "c2", "error_message": "Profile blocked for testing"}
    ]
    retry = api.post(PROFILES + "/create", {"profiles": [profile("c2")]})
    assert retry.json()["failed_to_create"][0]["customer_id"] == "c2"


def test_inject_reject_applies_to_the_next_matching_requests(api: Api) -> None:
    api.create_items("a", "b")
    api.octy.inject("/v1/retention/items/update", reject={"b": "Price locked"})
    body = {"items": [{"item_id": "a", "item_price": 1}, {"item_id": "b", "item_price": 1}]}
    first = api.post("/v1/retention/items/update", body).json()
    assert first["failed_to_update"] == [{"item_id": "b", "error_message": "Price locked"}]
    assert not api.post("/v1/retention/items/update", body).json()["failed_to_update"]


def test_rejecting_an_event_by_profile(api: Api) -> None:
    ids = api.create_profiles("c1", "c2")
    api.octy.reject_object(ids["c2"], "Event refused")
    events = [
        {"event_type": "charged", "profile_id": ids["c1"]},
        {"event_type": "charged", "profile_id": ids["c2"]},
    ]
    result = api.post("/v1/retention/events/create/batch", {"events": events}).json()
    assert [e["profile_id"] for e in result["created_events"]] == [ids["c1"]]
    assert result["failed_to_create"][0]["error_message"] == "Event refused"


def _storm_statuses(seed: int) -> list[int | None]:
    with FakeOcty() as octy:
        octy.inject_random("/v1/retention", rate=0.5, seed=seed, drop_connection_share=0.2)
        api = Api(octy)
        for _ in range(40):
            with contextlib.suppress(requests.ConnectionError):
                api.get(PROFILES)
        return [entry.status for entry in octy.request_log]


def test_random_storm_is_reproducible_with_a_seed() -> None:
    first = _storm_statuses(seed=7)
    assert first == _storm_statuses(seed=7)
    assert first != _storm_statuses(seed=8)
    assert {200, None} <= set(first)
    assert set(first) <= {200, 429, 500, 503, None}
    assert 8 <= first.count(200) <= 32


def test_random_storm_sends_retry_after_and_spares_other_paths(api: Api) -> None:
    api.octy.inject_random("/v1/retention/items", rate=1.0, statuses=(429,), retry_after=3)
    limited = api.get("/v1/retention/items")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert api.get(PROFILES).status_code == 200


def test_latency_applies_to_every_request(api: Api) -> None:
    api.octy.latency = 0.15
    started = time.monotonic()
    api.get(PROFILES)
    api.get("/v1/retention/items")
    assert time.monotonic() - started >= 0.3
    assert all(entry.duration >= 0.15 for entry in api.octy.request_log)


def test_request_log_records_objects_and_times(api: Api) -> None:
    api.create_profiles("c1", "c2", "c3")
    api.get(PROFILES)
    create, read = api.octy.request_log
    assert (create.method, create.path, create.status, create.objects) == (
        "POST",
        PROFILES + "/create",
        201,
        3,
    )
    assert create.body["profiles"][0] == profile("c1")
    assert (read.method, read.objects) == ("GET", 0)
    assert create.started_at <= create.finished_at <= read.started_at <= read.finished_at


def test_reset_clears_state_rules_log_and_latency(api: Api) -> None:
    octy = api.octy
    api.create_profiles("c1")
    octy.inject("/v1/", status=500, times=None)
    octy.reject_object("c1")
    octy.latency = 0.5
    octy.reset()
    assert (octy.profiles, octy.request_log, octy.latency) == ({}, [], 0.0)
    assert list(octy.event_types) == ["charged"]
    assert api.post(PROFILES + "/create", {"profiles": [profile("c1")]}).status_code == 201


@pytest.mark.parametrize(
    "options",
    [
        {"status": 200},
        {"status": 999},
        {"times": 0},
        {"delay": -1},
    ],
)
def test_inject_refuses_impossible_rules(octy_server: FakeOcty, options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        octy_server.inject("/v1/", **options)


def test_inject_random_and_latency_refuse_impossible_values(octy_server: FakeOcty) -> None:
    with pytest.raises(ValueError):
        octy_server.inject_random("/v1/", rate=1.5)
    with pytest.raises(ValueError):
        octy_server.inject_random("/v1/", statuses=(302,))
    with pytest.raises(ValueError):
        octy_server.latency = -0.1


def test_a_held_request_waits_for_its_release_before_it_is_handled(api: Api) -> None:
    held = api.octy.hold(PROFILES + "/create")
    answers: list[int] = []
    sender = threading.Thread(
        target=lambda: answers.append(
            api.post(PROFILES + "/create", {"profiles": [profile("c1")]}).status_code
        )
    )
    sender.start()
    held.wait_arrived()
    assert not api.octy.profiles  # held before the fake acted on it
    assert api.get(PROFILES).status_code == 200  # other requests go on
    held.release()
    sender.join()
    assert answers == [201]
    assert "c1" in api.octy.profiles


def test_a_garbled_answer_is_cut_but_the_request_is_handled(api: Api) -> None:
    api.octy.garble(PROFILES + "/create")
    answer = api.post(PROFILES + "/create", {"profiles": [profile("c1")]})
    assert answer.status_code == 201
    with pytest.raises(ValueError):
        answer.json()
    assert "c1" in api.octy.profiles
    again = api.post(PROFILES + "/create", {"profiles": [profile("c2")]})
    assert again.json()  # the next answer is whole
