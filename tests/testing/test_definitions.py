"""Event types, segments and message templates."""

from __future__ import annotations

import re
from typing import Any

from .conftest import Api, assert_octy_error

TYPES = "/v1/retention/events/types"
SEGMENTS = "/v1/retention/segments"
TEMPLATES = "/v1/retention/messaging/templates"


def _login_type(api: Api) -> None:
    body = {"event_types": [{"event_type": "login", "event_properties": ["device", "time"]}]}
    assert api.post(TYPES + "/create", body).status_code == 201


def _segment(**fields: Any) -> dict[str, Any]:
    return {
        "segment_name": "fast paying customers",
        "segment_type": "live",
        "segment_sub_type": 2,
        "segment_timeframe": 0,
        "event_sequence": [
            {"event_type": "login", "exp_timeframe": 5, "action_inaction": "action"},
            {
                "event_type": "charged",
                "exp_timeframe": 0,
                "action_inaction": "inaction",
                "event_properties": {"payment_method": "visa"},
            },
        ],
        "profile_property_name": None,
        "profile_property_value": None,
        **fields,
    }


def test_charged_is_built_in(api: Api) -> None:
    listed = api.get(TYPES, headers={"cursor": "0"}).json()["event_types"]
    [charged] = listed
    assert charged["event_type"] == "charged"
    assert charged["event_properties"] == ["item_id", "payment_method"]
    assert re.fullmatch(r"event_type_[0-9a-f]{32}", charged["event_type_id"])
    deleted = api.post(TYPES + "/delete", {"event_type_ids": [charged["event_type_id"]]}).json()
    assert deleted["deleted_event_types"] == []
    assert "cannot be deleted" in deleted["failed_to_delete"][0]["error_message"]


def test_event_types_create_list_delete_and_never_update(api: Api) -> None:
    _login_type(api)
    body = {
        "event_types": [
            {"event_type": "login", "event_properties": []},
            {"event_type": "logout", "event_properties": "device"},
            {"event_type": "watched_video", "event_properties": ["video_id"]},
        ]
    }
    response = api.post(TYPES + "/create", body).json()
    assert [t["event_type"] for t in response["event_types"]] == ["watched_video"]
    assert [(f["event_type"], f["error_message"]) for f in response["failed_to_create"]] == [
        ("login", "Event type 'login' already exists"),
        ("logout", "Event type field 'event_properties' must be an array of strings, got string"),
    ]
    login_id = api.octy.event_types["login"]["event_type_id"]
    assert (
        api.get(TYPES, params={"ids": login_id}).json()["event_types"][0]["event_type"] == "login"
    )
    assert_octy_error(api.post(TYPES + "/update", {"event_types": []}), 405)
    deleted = api.post(TYPES + "/delete", {"event_type_ids": [login_id, "event_type_x"]}).json()
    assert deleted["deleted_event_types"] == [{"event_type_id": login_id}]
    assert deleted["failed_to_delete"][0]["event_type_id"] == "event_type_x"
    assert set(api.octy.event_types) == {"charged", "watched_video"}


def test_segment_is_created_one_per_request(api: Api) -> None:
    _login_type(api)
    response = api.post(SEGMENTS + "/create", _segment())
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"segment_[0-9a-f]{32}", body["segment_id"])
    assert {k: body[k] for k in ("segment_name", "segment_type", "segment_sub_type")} == {
        "segment_name": "fast paying customers",
        "segment_type": "live",
        "segment_sub_type": 2,
    }
    assert body["segment_status"] == "active"
    assert api.octy.segments["fast paying customers"]["segment_id"] == body["segment_id"]
    error = assert_octy_error(api.post(SEGMENTS + "/create", {"segments": [_segment()]}), 400)
    assert error["errors"][0]["error_message"] == "Segments are created one per request."
    duplicate = assert_octy_error(api.post(SEGMENTS + "/create", _segment()), 400)
    assert "already exists" in duplicate["errors"][0]["error_message"]


def test_segment_checks_types_and_event_sequence(api: Api) -> None:
    _login_type(api)
    cases = {
        "segment_type": (_segment(segment_type="soon"), "must be one of 'live', 'past'"),
        "timeframe": (_segment(segment_timeframe="60"), "'segment_timeframe' must be an integer"),
        "unknown type": (
            _segment(
                event_sequence=[
                    {"event_type": "logout", "exp_timeframe": 0, "action_inaction": "action"}
                ]
            ),
            "event_sequence[0]: Unknown event type 'logout'",
        ),
        "undeclared": (
            _segment(
                event_sequence=[
                    {
                        "event_type": "login",
                        "exp_timeframe": 0,
                        "action_inaction": "action",
                        "event_properties": {"os": "ios"},
                    }
                ]
            ),
            "event_sequence[0]: Event properties not declared by event type 'login': os",
        ),
    }
    for name, (body, message) in cases.items():
        error = assert_octy_error(api.post(SEGMENTS + "/create", body), 400)
        assert message in error["errors"][0]["error_message"], name
    assert not api.octy.segments


def test_segments_list_counts_profiles_delete_and_never_update(api: Api) -> None:
    _login_type(api)
    segment_id = api.post(SEGMENTS + "/create", _segment()).json()["segment_id"]
    api.create_profiles("c1", "c2")
    api.octy.set_profile_insights("c1", segment_tags=["fast paying customers"])
    [listed] = api.get(SEGMENTS, headers={"cursor": "0"}).json()["segments"]
    assert listed["profile_count"] == 1 and listed["created_at"]
    assert listed["event_sequence"][0]["event_type"] == "login"
    assert_octy_error(api.post(SEGMENTS + "/update", _segment()), 405)
    deleted = api.post(SEGMENTS + "/delete", {"segments": [segment_id, "segment_x"]}).json()
    assert deleted["deleted_segments"] == [{"segment_id": segment_id}]
    assert deleted["failed_to_delete"][0]["segment_id"] == "segment_x"
    assert not api.octy.segments


GREETING = {
    "friendly_name": "Basic personalised greeting",
    "template_type": "email",
    "title": "We have some great deals for you!",
    "content": "Hi {first_name}, we have some great deals for you {greeting}!",
    "default_values": {"first_name": "there", "greeting": "my friend"},
}


def test_templates_create_update_in_place_and_delete(api: Api) -> None:
    created = api.post(TEMPLATES + "/create", {"templates": [GREETING, {"friendly_name": "x"}]})
    assert created.status_code == 201
    [template] = created.json()["templates"]
    assert re.fullmatch(r"template_[0-9a-f]{32}", template["template_id"])
    assert template["required_data"] == [] and template["metadata"] == {}
    assert created.json()["failed_to_create"] == [
        {"friendly_name": "x", "error_message": "Missing required template field 'template_type'"}
    ]
    template_id = template["template_id"]
    update = api.post(
        TEMPLATES + "/update",
        {
            "templates": [
                {"template_id": template_id, "status": "active", "title": "New deals"},
                {"template_id": "template_nope", "status": "active"},
                {"template_id": template_id},
            ]
        },
    ).json()
    assert update["templates"][0]["title"] == "New deals"
    assert update["templates"][0]["template_id"] == template_id
    assert [f["error_message"] for f in update["failed_to_update"]] == [
        "No template found with template_id 'template_nope'",
        "Missing required template field 'status'",
    ]
    assert list(api.octy.templates) == [template_id]
    assert api.octy.templates[template_id]["content"] == GREETING["content"]
    listed = api.get(TEMPLATES, params={"id": template_id}).json()["templates"]
    assert listed[0]["title"] == "New deals"
    deleted = api.post(TEMPLATES + "/delete", {"template_ids": [template_id]}).json()
    assert deleted["deleted_templates"] == [{"template_id": template_id}]
    assert not api.octy.templates
