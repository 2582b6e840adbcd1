"""The ``/_fake/`` control API, used by a process that did not start the fake."""

from __future__ import annotations

import requests

from django_octy.testing import FakeOcty

from .conftest import Api


def _control(octy: FakeOcty, method: str, name: str, body: object = None) -> requests.Response:
    return requests.request(method, f"{octy.url}/_fake/{name}", json=body, timeout=5)


def test_state_counts_entities_and_requests(api: Api) -> None:
    api.create_profiles("c1", "c2")
    api.create_items("a")
    api.get("/v1/retention/profiles")
    api.get("/v1/retention/profiles")
    state = _control(api.octy, "GET", "state").json()
    assert state["counts"] == {
        "profiles": 2,
        "merged_profiles": 0,
        "items": 1,
        "events": 0,
        "event_types": 1,
        "segments": 0,
        "templates": 0,
    }
    assert state["requests"] == {
        "/v1/retention/profiles/create": 1,
        "/v1/retention/items/create": 1,
        "/v1/retention/profiles": 2,
    }
    assert state["statuses"] == {"201": 2, "200": 2}
    assert state["max_in_flight"] == 1


def test_control_requests_need_no_keys_and_are_not_logged(api: Api) -> None:
    api.create_profiles("c1")
    profiles = _control(api.octy, "GET", "profiles").json()["profiles"]
    assert [p["customer_id"] for p in profiles] == ["c1"]
    assert [entry.path for entry in api.octy.request_log] == ["/v1/retention/profiles/create"]


def test_inject_and_latency_and_reset(api: Api) -> None:
    octy = api.octy
    injected = _control(octy, "POST", "inject", {"path_prefix": "/v1/", "status": 503, "times": 1})
    assert injected.status_code == 200
    assert api.get("/v1/retention/items").status_code == 503
    assert api.get("/v1/retention/items").status_code == 200
    storm = {"path_prefix": "/v1/", "random": True, "rate": 1.0, "statuses": [500], "seed": 1}
    assert _control(octy, "POST", "inject", storm).status_code == 200
    assert api.get("/v1/retention/items").status_code == 500
    assert _control(octy, "POST", "latency", {"latency": 0.05}).json() == {"latency": 0.05}
    assert octy.latency == 0.05
    assert _control(octy, "POST", "reset", {}).status_code == 200
    assert octy.latency == 0.0 and octy.request_log == []
    assert api.get("/v1/retention/items").status_code == 200


def test_insights_and_merge_through_control(api: Api) -> None:
    api.create_profiles("anon", "user")
    insights = {"customer_id": "user", "churn_probability": "high", "rfm_score": 444}
    assert _control(api.octy, "POST", "insights", insights).json()["rfm_score"] == 444
    merge = {"child_customer_id": "anon", "parent_customer_id": "user"}
    assert _control(api.octy, "POST", "merge", merge).status_code == 200
    assert set(api.octy.profiles) == {"user"}


def test_control_errors_are_clear(api: Api) -> None:
    octy = api.octy
    assert _control(octy, "GET", "nothing").status_code == 404
    assert _control(octy, "POST", "state").status_code == 404
    bad = _control(octy, "POST", "inject", {"path_prefix": "/v1/", "colour": "red"})
    assert bad.status_code == 400 and "colour" in bad.json()["error"]
    assert _control(octy, "POST", "latency", {}).status_code == 400
    assert _control(octy, "POST", "insights", {"customer_id": "ghost"}).status_code == 400
