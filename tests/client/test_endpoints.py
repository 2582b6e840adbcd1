"""The happy path of every endpoint, over HTTP to the fake Octy server."""

from __future__ import annotations

from typing import Any

import pytest

from django_octy.client import OctyClient
from django_octy.testing import FakeOcty

from .data import GREETING_TEMPLATE, WORST_CUSTOMERS_SEGMENT, charged, item, profile


@pytest.fixture
def profile_ids(client: OctyClient) -> dict[str, str]:
    """Two customers in Octy: customer_id -> Octy profile_id."""
    result = client.create_profiles([profile("2748275927498"), profile("4438286378150")])
    return {p["customer_id"]: p["profile_id"] for p in result.succeeded}


def only_log(octy: FakeOcty, method: str, path: str) -> list[Any]:
    return [entry for entry in octy.request_log if (entry.method, entry.path) == (method, path)]


# Account


def test_authenticate(client: OctyClient, octy: FakeOcty) -> None:
    client.authenticate()
    assert [(e.method, e.path, e.status) for e in octy.request_log] == [
        ("GET", "/v1/account/authenticate", 200)
    ]


def test_account_config_round_trip(client: OctyClient, octy: FakeOcty) -> None:
    answer = client.set_account_config(
        {"contact_name": "Ada", "webhook_url": "https://shop.example/octy/webhook"}
    )
    assert answer["account_data"]["contact_name"] == "Ada"
    config = client.get_account_config()
    assert config["webhook_url"] == "https://shop.example/octy/webhook"
    assert octy.account_config["contact_name"] == "Ada"


def test_algorithm_configs_round_trip(client: OctyClient, octy: FakeOcty) -> None:
    client.set_algorithm_config(
        {
            "algorithm_name": "rec",
            "configurations": {
                "profile_features": ["visits", "balance"],
                "item_id_stop_list": ["01134f95-d1a8"],
            },
        }
    )
    configs = {c["algorithm_name"]: c["configurations"] for c in client.get_algorithm_configs()}
    assert set(configs) == {"churn", "rec"}
    # Set as plain ids, read back as objects (octy-cli's rest/models/configs.go).
    assert configs["rec"]["item_id_stop_list"] == [{"item_id": "01134f95-d1a8"}]
    assert octy.algorithm_configs["rec"]["profile_features"] == ["visits", "balance"]


# Profiles


def test_create_profiles(client: OctyClient, octy: FakeOcty) -> None:
    result = client.create_profiles([profile("2748275927498")])
    assert result.failed == []
    assert result.requests == 1
    [created] = result.succeeded
    assert created["customer_id"] == "2748275927498"
    assert created["profile_id"] == octy.profiles["2748275927498"]["profile_id"]


def test_update_profiles(client: OctyClient, octy: FakeOcty, profile_ids: dict[str, str]) -> None:
    result = client.update_profiles(
        [{"profile_id": profile_ids["2748275927498"], "has_charged": True}]
    )
    assert result.failed == []
    assert [p["profile_id"] for p in result.succeeded] == [profile_ids["2748275927498"]]
    assert octy.profiles["2748275927498"]["has_charged"] is True


def test_delete_profiles(client: OctyClient, octy: FakeOcty, profile_ids: dict[str, str]) -> None:
    result = client.delete_profiles([profile_ids["2748275927498"]])
    assert result.failed == []
    assert result.succeeded == [{"profile_id": profile_ids["2748275927498"]}]
    assert set(octy.profiles) == {"4438286378150"}


def test_get_profiles_by_ids(client: OctyClient, profile_ids: dict[str, str]) -> None:
    found = list(client.get_profiles(ids=[profile_ids["4438286378150"]]))
    assert [p["customer_id"] for p in found] == ["4438286378150"]
    assert {"churn_probability", "rfm_score", "segment_tags"} <= set(found[0])


def test_get_profiles_filtered_by_churn_and_rfm(
    client: OctyClient, octy: FakeOcty, profile_ids: dict[str, str]
) -> None:
    octy.set_profile_insights("2748275927498", churn_probability="high", rfm_score=350)
    octy.set_profile_insights("4438286378150", churn_probability="high", rfm_score=150)
    high = list(client.get_profiles(churn_prob="high"))
    best = list(client.get_profiles(churn_prob="high", rfm=(300, 400)))
    assert {p["customer_id"] for p in high} == set(profile_ids)
    assert [p["customer_id"] for p in best] == ["2748275927498"]
    assert "rfm=300-400" in octy.request_log[-1].query


def test_get_profile_metadata(
    client: OctyClient, octy: FakeOcty, profile_ids: dict[str, str]
) -> None:
    octy.merge_profiles("4438286378150", "2748275927498")
    meta = client.get_profile_metadata([profile_ids["4438286378150"]])
    [entry] = meta
    assert entry["provided_identifier"] == profile_ids["4438286378150"]
    parent = entry["merged_info"]["parent_profile"]
    assert parent["parent_profile_id"] == profile_ids["2748275927498"]


# Items


def test_create_items(client: OctyClient, octy: FakeOcty) -> None:
    result = client.create_items([item("01134f95-d1a8"), item("c1600e7b-84cf", item_price=4900)])
    assert result.failed == []
    assert [i["item_id"] for i in result.succeeded] == ["01134f95-d1a8", "c1600e7b-84cf"]
    assert octy.items["c1600e7b-84cf"]["item_price"] == 4900


def test_update_items(client: OctyClient, octy: FakeOcty) -> None:
    client.create_items([item("01134f95-d1a8")])
    result = client.update_items([{"item_id": "01134f95-d1a8", "item_price": 1500}])
    assert result.failed == []
    assert octy.items["01134f95-d1a8"]["item_price"] == 1500


def test_delete_items(client: OctyClient, octy: FakeOcty) -> None:
    client.create_items([item("01134f95-d1a8"), item("c1600e7b-84cf")])
    result = client.delete_items(["01134f95-d1a8"])
    assert result.failed == []
    assert set(octy.items) == {"c1600e7b-84cf"}


def test_get_items(client: OctyClient) -> None:
    client.create_items([item("01134f95-d1a8"), item("c1600e7b-84cf")])
    assert {i["item_id"] for i in client.get_items()} == {"01134f95-d1a8", "c1600e7b-84cf"}
    assert [i["item_id"] for i in client.get_items(ids="c1600e7b-84cf")] == ["c1600e7b-84cf"]


# Events and event types


def test_create_event(client: OctyClient, octy: FakeOcty, profile_ids: dict[str, str]) -> None:
    event = client.create_event(charged(profile_ids["2748275927498"]))
    assert event["event_id"].startswith("event_")
    assert event["event_type"] == "charged"
    assert [e["event_id"] for e in octy.events] == [event["event_id"]]


def test_create_events(client: OctyClient, octy: FakeOcty, profile_ids: dict[str, str]) -> None:
    events = [
        charged(profile_ids["2748275927498"], created_at="2021-06-29 18:26:44"),
        charged(profile_ids["4438286378150"], item_id="c1600e7b-84cf"),
    ]
    result = client.create_events(events)
    assert result.failed == []
    assert [e["profile_id"] for e in result.succeeded] == [e["profile_id"] for e in events]
    assert octy.events[0]["created_at"] == "2021-06-29 18:26:44"


def test_event_types_create_list_delete(client: OctyClient, octy: FakeOcty) -> None:
    created = client.create_event_types(
        [
            {"event_type": "login", "event_properties": ["device", "time"]},
            {"event_type": "logout", "event_properties": ["device"]},
        ]
    )
    assert created.failed == []
    listed = {t["event_type"]: t for t in client.get_event_types()}
    assert set(listed) == {"charged", "login", "logout"}
    login_id = listed["login"]["event_type_id"]
    assert [t["event_type"] for t in client.get_event_types(ids=[login_id])] == ["login"]
    deleted = client.delete_event_types([login_id])
    assert deleted.succeeded == [{"event_type_id": login_id}]
    assert set(octy.event_types) == {"charged", "logout"}


# Segments


def test_segments_create_list_delete(client: OctyClient, octy: FakeOcty) -> None:
    client.create_event_types([{"event_type": "login", "event_properties": ["device"]}])
    segment = client.create_segment(WORST_CUSTOMERS_SEGMENT)
    assert segment["segment_name"] == "worst customers"
    listed = list(client.get_segments())
    assert [s["segment_id"] for s in listed] == [segment["segment_id"]]
    assert "profile_count" in listed[0]
    assert [s["segment_name"] for s in client.get_segments(ids=[segment["segment_id"]])] == [
        "worst customers"
    ]
    deleted = client.delete_segments([segment["segment_id"]])
    assert deleted.succeeded == [{"segment_id": segment["segment_id"]}]
    assert octy.segments == {}


# Templates and content


def test_templates_create_update_list_delete(client: OctyClient, octy: FakeOcty) -> None:
    created = client.create_templates([GREETING_TEMPLATE])
    [template] = created.succeeded
    template_id = template["template_id"]
    updated = client.update_templates(
        [{"template_id": template_id, "status": "active", "title": "Deals inside"}]
    )
    assert updated.failed == []
    assert octy.templates[template_id]["title"] == "Deals inside"
    assert [t["template_id"] for t in client.get_templates()] == [template_id]
    assert [t["title"] for t in client.get_templates(ids=template_id)] == ["Deals inside"]
    deleted = client.delete_templates([template_id])
    assert deleted.succeeded == [{"template_id": template_id}]
    assert octy.templates == {}


def test_generate_content(client: OctyClient, profile_ids: dict[str, str]) -> None:
    [template] = client.create_templates([GREETING_TEMPLATE]).succeeded
    result = client.generate_content(
        [
            {
                "template_id": template["template_id"],
                "item_recommendation": False,
                "data": [
                    {"profile_id": profile_ids["2748275927498"], "first_name": "Ada"},
                    {"profile_id": profile_ids["4438286378150"]},
                ],
            }
        ]
    )
    assert result.failed == []
    assert [m["content"] for m in result.succeeded] == [
        "Hi Ada, we have some great deals for you my friend!",
        "Hi there, we have some great deals for you my friend!",
    ]


# What Octy computes


def test_get_recommendations(
    client: OctyClient, octy: FakeOcty, profile_ids: dict[str, str]
) -> None:
    client.create_items([item("01134f95-d1a8"), item("c1600e7b-84cf")])
    octy.set_recommendations(profile_ids["2748275927498"], [("c1600e7b-84cf", 0.9)])
    result = client.get_recommendations([profile_ids["2748275927498"]])
    assert result.by_profile == [
        {
            "profile_id": profile_ids["2748275927498"],
            "recommendations": [{"item_id": "c1600e7b-84cf", "score": 0.9}],
            "error": None,
        }
    ]
    assert "training_job_id" in result.model_meta_data


def test_get_churn_report(client: OctyClient) -> None:
    report = client.get_churn_report()
    assert "current_churn_percentage" in report["churn_data"]
    assert "training_job_id" in report["training_job_data"]
