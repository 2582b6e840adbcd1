"""What the fake derives from the events it received: churn, RFM, segment tags (its own rule).

The rule is documented in ``django_octy.testing.insights`` and docs/testing.md;
these tests pin it with hand-computed answers, over real sockets.
"""

from __future__ import annotations

from typing import Any

from django_octy.testing import FakeOcty
from tests.client.data import WORST_CUSTOMERS_SEGMENT

from .conftest import Api

PROFILES = "/v1/retention/profiles"
NOW = "2024-06-30 12:00:00"
"""The newest event of the scenario: the fake's "now", whatever the clock says."""


def charged(profile_id: str, item_id: str, at: str) -> dict[str, Any]:
    return {
        "event_type": "charged",
        "profile_id": profile_id,
        "event_properties": {"item_id": item_id, "payment_method": "visa"},
        "created_at": at,
    }


def login(profile_id: str, at: str) -> dict[str, Any]:
    return {
        "event_type": "login",
        "profile_id": profile_id,
        "event_properties": {"device": "mobile"},
        "created_at": at,
    }


def set_up_the_shop(api: Api) -> dict[str, str]:
    """A catalogue, a login event type, the sample's "worst customers" segment, four profiles."""
    items = [
        {"item_id": "tent", "item_category": "Outdoor", "item_name": "Tent", "item_price": 30000},
        {"item_id": "mug", "item_category": "Home", "item_name": "Mug", "item_price": 1500},
    ]
    assert api.post("/v1/retention/items/create", {"items": items}).status_code == 201
    login_type = {"event_type": "login", "event_properties": ["device"]}
    response = api.post("/v1/retention/events/types/create", {"event_types": [login_type]})
    assert response.status_code == 201, response.text
    assert api.post("/v1/retention/segments/create", WORST_CUSTOMERS_SEGMENT).status_code == 201
    return api.create_profiles("loyal", "lapsed", "browsing", "silent")


def scenario(ids: dict[str, str]) -> list[dict[str, Any]]:
    return [
        charged(ids["loyal"], "tent", "2024-06-10 09:00:00"),
        charged(ids["loyal"], "tent", "2024-06-20 09:00:00"),
        charged(ids["loyal"], "tent", "2024-06-28 09:00:00"),
        login(ids["loyal"], NOW),
        charged(ids["lapsed"], "mug", "2024-04-01 10:00:00"),
        login(ids["lapsed"], "2024-05-15 10:00:00"),
        login(ids["browsing"], "2024-06-10 10:00:00"),
    ]


def send(api: Api, events: list[dict[str, Any]]) -> None:
    response = api.post("/v1/retention/events/create/batch", {"events": events})
    assert response.status_code == 201 and not response.json()["failed_to_create"], response.text


def insights(api: Api) -> dict[str, tuple[Any, Any, Any]]:
    profiles = api.get(PROFILES).json()["profiles"]
    return {
        p["customer_id"]: (p["churn_probability"], p["rfm_score"], p["segment_tags"])
        for p in profiles
    }


def test_churn_rfm_and_segments_follow_the_events(api: Api) -> None:
    send(api, scenario(set_up_the_shop(api)))

    assert insights(api) == {
        # 3 charges (F 3) of 300.00 (M 5), the last 2.1 days ago (R 5); active just now.
        "loyal": ("low", 535, []),
        # One 15.00 charge 90 days ago (111); idle 46 days; logged in, bought nothing in 60.
        "lapsed": ("high", 111, ["worst customers"]),
        # Idle 20 days, never charged: no RFM score.
        "browsing": ("medium", None, ["worst customers"]),
        "silent": (None, None, []),
    }
    assert api.octy.profiles["lapsed"]["churn_probability"] == "high"


def test_the_same_events_in_any_order_give_the_same_answers(api: Api) -> None:
    send(api, scenario(set_up_the_shop(api)))
    with FakeOcty() as other:
        again = Api(other)
        send(again, list(reversed(scenario(set_up_the_shop(again)))))
        assert insights(again) == insights(api)


def test_filters_counts_and_the_churn_report_use_the_derived_values(api: Api) -> None:
    send(api, scenario(set_up_the_shop(api)))

    def customers(**params: str) -> list[str]:
        return [p["customer_id"] for p in api.get(PROFILES, params=params).json()["profiles"]]

    assert customers(churn_prob="high") == ["lapsed"]
    assert customers(rfm="500-555") == ["loyal"]
    [worst] = api.get("/v1/retention/segments").json()["segments"]
    assert worst["profile_count"] == 2
    report = api.get("/v1/retention/churn_prediction/report").json()["churn_prediction_report"]
    assert report["churn_data"]["current_churn_percentage"] == 25.0


def test_values_a_test_sets_win_field_by_field(api: Api) -> None:
    send(api, scenario(set_up_the_shop(api)))

    api.octy.set_profile_insights("lapsed", churn_probability="low")

    assert insights(api)["lapsed"] == ("low", 111, ["worst customers"])


def test_a_merged_childs_events_count_for_its_parent(api: Api) -> None:
    ids = set_up_the_shop(api)
    anonymous = api.create_profiles("anon-1")["anon-1"]
    send(api, [charged(anonymous, "tent", "2024-06-29 10:00:00"), login(ids["silent"], NOW)])
    assert insights(api)["silent"] == ("low", None, ["worst customers"])

    api.octy.merge_profiles("anon-1", "silent")

    # One 300.00 charge a day ago: R 5, F 1, M 4.
    assert insights(api)["silent"] == ("low", 514, [])
