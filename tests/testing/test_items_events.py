"""Items and events: typed fields, partial failures, profile and event type checks."""

from __future__ import annotations

import re

from .conftest import Api, assert_octy_error

ITEMS = "/v1/retention/items"
EVENTS = "/v1/retention/events"


def _item(item_id: str, **fields: object) -> dict[str, object]:
    return {
        "item_id": item_id,
        "item_category": "Clothing",
        "item_name": "T-Shirt",
        "item_description": "Super cool black t-shirt",
        "item_price": 2000,
        **fields,
    }


def test_items_create_checks_price_type_and_duplicates(api: Api) -> None:
    body = {
        "items": [
            _item("01134f95-d1a8"),
            _item("01134f95-d1a8"),
            _item("float-price", item_price=20.0),
            _item("text-price", item_price="2000"),
            _item("bool-price", item_price=True),
            _item("negative", item_price=-1),
            {"item_id": "no-name", "item_category": "X", "item_price": 1},
        ]
    }
    response = api.post(ITEMS + "/create", body)
    assert response.status_code == 201
    [created] = response.json()["items"]
    assert created["item_price"] == 2000 and created["created_at"]
    failed = {f["item_id"]: f["error_message"] for f in response.json()["failed_to_create"]}
    assert failed == {
        "01134f95-d1a8": "An item with item_id '01134f95-d1a8' already exists",
        "float-price": "Item field 'item_price' must be an integer, got number",
        "text-price": "Item field 'item_price' must be an integer, got string",
        "bool-price": "Item field 'item_price' must be an integer, got boolean",
        "negative": "Item field 'item_price' must be zero or more (minor units)",
        "no-name": "Missing required item field 'item_name'",
    }
    assert list(api.octy.items) == ["01134f95-d1a8"]


def test_items_update_delete_and_list(api: Api) -> None:
    api.create_items("a", "b")
    update = api.post(
        ITEMS + "/update",
        {"items": [{"item_id": "a", "item_price": 4900, "status": "inactive"}, {"item_id": "z"}]},
    )
    assert update.json()["items"][0]["item_price"] == 4900
    assert update.json()["failed_to_update"] == [
        {"item_id": "z", "error_message": "No item found with item_id 'z'"}
    ]
    assert api.octy.items["a"]["status"] == "inactive"
    listed = api.get(ITEMS, headers={"cursor": "0"}).json()
    assert [i["item_id"] for i in listed["items"]] == ["a", "b"]
    assert api.get(ITEMS, params={"id": "b"}).json()["items"][0]["item_name"] == "Name b"
    deleted = api.post(ITEMS + "/delete", {"item_ids": ["b", "nope"]}).json()
    assert deleted["deleted_items"] == [{"item_id": "b"}]
    assert deleted["failed_to_delete"][0]["item_id"] == "nope"
    assert list(api.octy.items) == ["a"]


def test_single_event_is_recorded_with_an_octy_id(api: Api) -> None:
    ids = api.create_profiles("c1")
    event = {
        "event_type": "charged",
        "profile_id": ids["c1"],
        "event_properties": {"item_id": "01134f95-d1a8", "payment_method": "applepay"},
    }
    response = api.post(EVENTS + "/create", event)
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"event_[0-9a-f]{32}", body["event_id"])
    assert body["event_properties"] == event["event_properties"]
    assert body["profile_id"] == ids["c1"] and body["created_at"]
    assert [e["event_id"] for e in api.octy.events] == [body["event_id"]]
    assert api.octy.profiles["c1"]["has_charged"] is True


def test_single_event_failures_are_400(api: Api) -> None:
    error = assert_octy_error(
        api.post(EVENTS + "/create", {"event_type": "charged", "profile_id": "c1"}), 400
    )
    assert error["errors"][0]["error_message"] == "No profile found with profile_id 'c1'"
    assert not api.octy.events


def test_batch_events_need_an_octy_profile_and_a_declared_type(api: Api) -> None:
    ids = api.create_profiles("c1")
    pid = ids["c1"]
    api.post(
        EVENTS + "/types/create",
        {"event_types": [{"event_type": "login", "event_properties": ["device", "time"]}]},
    )
    events = [
        {"event_type": "login", "profile_id": pid, "event_properties": {"device": "ios"}},
        {"event_type": "charged", "profile_id": "c1", "event_properties": {}},
        {"event_type": "logout", "profile_id": pid, "event_properties": {}},
        {"event_type": "login", "profile_id": pid, "event_properties": {"browser": "x"}},
        {"event_type": "charged", "profile_id": pid, "event_properties": {"coupon": "X"}},
        {"event_type": "charged", "profile_id": pid, "created_at": "29/06/2021"},
        {"event_type": "charged", "profile_id": pid, "created_at": "2021-06-29 18:26:44"},
        {"profile_id": pid},
    ]
    response = api.post(EVENTS + "/create/batch", {"events": events})
    assert response.status_code == 201
    created = response.json()["created_events"]
    assert [e["event_type"] for e in created] == ["login", "charged"]
    assert created[0]["event_type_id"] == api.octy.event_types["login"]["event_type_id"]
    assert created[1]["created_at"] == "2021-06-29 18:26:44"
    failed = response.json()["failed_to_create"]
    assert [f["error_message"] for f in failed] == [
        "No profile found with profile_id 'c1'",
        "Unknown event type 'logout'",
        "Event properties not declared by event type 'login': browser",
        "Event properties not declared by event type 'charged': coupon",
        "Event field 'created_at' must look like YYYY-MM-DD HH:MM:SS, got '29/06/2021'",
        "Missing required event field 'event_type'",
    ]
    assert set(failed[1]) == {"event_type", "event_properties", "profile_id", "error_message"}
    assert failed[1]["event_type"] == "logout" and failed[1]["profile_id"] == pid
    assert len(api.octy.events) == 2
