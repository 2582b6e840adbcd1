"""Batch writes: splitting into requests of 500, partial failures traced to their objects."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from django_octy.client import OctyBadRequest, OctyClient
from django_octy.testing import FakeOcty

from .data import GREETING_TEMPLATE, charged, item, profile
from .evidence import raises

CREATE_PROFILES = "/v1/retention/profiles/create"
CREATE_EVENTS = "/v1/retention/events/create/batch"


def test_1201_profiles_go_out_as_500_500_201(client: OctyClient, octy: FakeOcty) -> None:
    result = client.create_profiles(profile(f"customer-{n}") for n in range(1201))
    assert [(e.path, e.objects, e.status) for e in octy.request_log] == [
        (CREATE_PROFILES, 500, 201),
        (CREATE_PROFILES, 500, 201),
        (CREATE_PROFILES, 201, 201),
    ]
    assert result.requests == 3
    assert [meta["request_status"] for meta in result.request_meta] == ["Success"] * 3
    assert result.failed == []
    assert [p["customer_id"] for p in result.succeeded] == [f"customer-{n}" for n in range(1201)]
    assert len({p["profile_id"] for p in result.succeeded}) == 1201
    assert len(octy.profiles) == 1201


def test_empty_batch_sends_nothing(client: OctyClient, octy: FakeOcty) -> None:
    result = client.create_items([])
    assert (result.requests, result.succeeded, result.failed) == (0, [], [])
    assert octy.request_log == []


def test_profile_failures_name_their_customer_and_spare_the_rest(
    client: OctyClient, octy: FakeOcty
) -> None:
    client.create_profiles([profile("already-there")])
    octy.reject_object("refused-by-octy", "Profile refused for testing")
    batch = [
        profile("ok-1"),
        profile("already-there"),
        profile("bad-flag", has_charged="yes"),
        profile("refused-by-octy"),
        profile("ok-2"),
    ]
    result = client.create_profiles(batch)
    assert [p["customer_id"] for p in result.succeeded] == ["ok-1", "ok-2"]
    assert [(f.identifier, f.index) for f in result.failed] == [
        ("already-there", 1),
        ("bad-flag", 2),
        ("refused-by-octy", 3),
    ]
    assert result.failed[0].message == "A profile with customer_id 'already-there' already exists"
    assert "has_charged" in result.failed[1].message
    assert result.failed[2].message == "Profile refused for testing"
    assert result.failed[2].raw["customer_id"] == "refused-by-octy"
    assert {"ok-1", "ok-2", "already-there"} <= set(octy.profiles)


def test_failure_indexes_count_across_split_requests(client: OctyClient, octy: FakeOcty) -> None:
    octy.reject_object("item-0003")
    octy.reject_object("item-0777")
    octy.reject_object("item-1100")
    result = client.create_items(item(f"item-{n:04}") for n in range(1101))
    assert result.requests == 3
    assert [(f.identifier, f.index) for f in result.failed] == [
        ("item-0003", 3),
        ("item-0777", 777),
        ("item-1100", 1100),
    ]
    assert len(result.succeeded) == 1098


def test_update_and_delete_failures_are_identified(client: OctyClient) -> None:
    client.create_items([item("kept")])
    updated = client.update_items([{"item_id": "kept", "item_price": 1}, {"item_id": "ghost"}])
    deleted = client.delete_items(["ghost", "kept"])
    assert [(f.identifier, f.index) for f in updated.failed] == [("ghost", 1)]
    assert [(f.identifier, f.index) for f in deleted.failed] == [("ghost", 0)]
    assert deleted.succeeded == [{"item_id": "kept"}]


def test_event_failures_are_matched_back_by_content(client: OctyClient, octy: FakeOcty) -> None:
    [created] = client.create_profiles([profile("buyer")]).succeeded
    buyer = created["profile_id"]
    events = [charged(buyer, item_id=f"item-{n}") for n in range(1150)]
    events[4] = charged("profile_unknown", item_id="item-4")
    events[640] = {**charged(buyer), "event_type": "undeclared"}
    events[1149] = charged(buyer, item_id="item-1149", created_at="29/06/2021")
    result = client.create_events(events)
    assert [e.objects for e in octy.request_log if e.path == CREATE_EVENTS] == [500, 500, 150]
    assert [(f.identifier, f.index) for f in result.failed] == [
        (None, 4),
        (None, 640),
        (None, 1149),
    ]
    assert result.failed[0].message == "No profile found with profile_id 'profile_unknown'"
    assert result.failed[1].message == "Unknown event type 'undeclared'"
    assert "created_at" in result.failed[2].message
    assert len(result.succeeded) == 1147


def test_identical_failing_events_each_get_their_own_position(client: OctyClient) -> None:
    [created] = client.create_profiles([profile("buyer")]).succeeded
    ghost = charged("profile_gone")
    result = client.create_events([ghost, charged(created["profile_id"]), ghost])
    assert [f.index for f in result.failed] == [0, 2]


def test_event_datetimes_are_sent_in_octys_format(client: OctyClient, octy: FakeOcty) -> None:
    [created] = client.create_profiles([profile("buyer")]).succeeded
    paris = timezone(timedelta(hours=1))
    result = client.create_events(
        [
            charged(
                created["profile_id"], created_at=datetime(2021, 6, 29, 19, 26, 44, tzinfo=paris)
            ),
            charged(created["profile_id"], created_at=datetime(2021, 8, 24, 23, 25, 49)),
        ]
    )
    assert result.failed == []
    assert [e["created_at"] for e in octy.events] == ["2021-06-29 18:26:44", "2021-08-24 23:25:49"]


def test_delete_failures_of_other_resources(client: OctyClient) -> None:
    results = [
        client.delete_profiles(["profile_nope"]),
        client.delete_event_types(["event_type_nope"]),
        client.delete_segments(["segment_nope"]),
        client.delete_templates(["template_nope"]),
    ]
    assert [[(f.identifier, f.index) for f in r.failed] for r in results] == [
        [("profile_nope", 0)],
        [("event_type_nope", 0)],
        [("segment_nope", 0)],
        [("template_nope", 0)],
    ]
    assert all(f.message for r in results for f in r.failed)


def test_template_and_event_type_failures_are_identified(client: OctyClient) -> None:
    types = client.create_event_types(
        [
            {"event_type": "charged", "event_properties": ["item_id"]},
            {"event_type": "login", "event_properties": ["device"]},
        ]
    )
    templates = client.create_templates([GREETING_TEMPLATE, {"friendly_name": "no content"}])
    updates = client.update_templates([{"template_id": "template_nope", "status": "active"}])
    assert [(f.identifier, f.index) for f in types.failed] == [("charged", 0)]
    assert [t["event_type"] for t in types.succeeded] == ["login"]
    assert [(f.identifier, f.index) for f in templates.failed] == [("no content", 1)]
    assert [(f.identifier, f.index) for f in updates.failed] == [("template_nope", 0)]


def test_generate_content_reads_both_failure_lists_and_sends_100_per_request(
    client: OctyClient, octy: FakeOcty
) -> None:
    [created] = client.create_profiles([profile("reader")]).succeeded
    [template] = client.create_templates([GREETING_TEMPLATE]).succeeded
    good = {
        "template_id": template["template_id"],
        "item_recommendation": False,
        "data": [{"profile_id": created["profile_id"]}],
    }
    messages = [good] * 250
    messages[120] = {**good, "template_id": "template_missing"}
    messages[230] = {**good, "data": [{"profile_id": "profile_missing"}]}
    result = client.generate_content(messages)
    path = "/v1/retention/messaging/content/generate"
    assert [e.objects for e in octy.request_log if e.path == path] == [100, 100, 50]
    assert len(result.succeeded) == 248
    assert sorted((f.identifier, f.index) for f in result.failed) == sorted(
        [("template_missing", 120), (template["template_id"], 200)]
    )
    missing_template = next(f for f in result.failed if f.identifier == "template_missing")
    assert "template_missing" in missing_template.message
    missing_profile = next(f for f in result.failed if f.raw.get("profile_id"))
    assert missing_profile.raw["profile_id"] == "profile_missing"


def test_recommendations_for_more_than_500_profiles_are_split(
    client: OctyClient, octy: FakeOcty
) -> None:
    created = client.create_profiles(profile(f"c{n}") for n in range(501)).succeeded
    result = client.get_recommendations(p["profile_id"] for p in created)
    assert len(result.by_profile) == 501
    path = "/v1/retention/recommendations"
    assert [e.objects for e in octy.request_log if e.path == path] == [500, 1]


def test_a_request_failing_mid_batch_raises_with_what_was_done(
    client: OctyClient, octy: FakeOcty
) -> None:
    octy.inject(CREATE_PROFILES, times=1)  # the first request is answered normally
    octy.inject(CREATE_PROFILES, status=400, times=1)
    with raises(OctyBadRequest) as info:
        client.create_profiles(profile(f"c{n}") for n in range(1200))
    partial = info.value.partial_result
    assert partial is not None
    assert (partial.requests, len(partial.succeeded)) == (1, 500)
    assert len(octy.profiles) == 500
    assert [e.status for e in octy.request_log] == [201, 400]


@pytest.mark.parametrize("bad", [None, "customer-1", 42])
def test_objects_that_are_not_mappings_are_refused_by_position(
    client: OctyClient, octy: FakeOcty, bad: object
) -> None:
    with pytest.raises(TypeError, match=r"profiles\[1\] must be a mapping"):
        client.create_profiles([profile("ok"), bad])  # type: ignore[list-item]
    assert octy.request_log == []


def test_delete_ids_must_be_strings(client: OctyClient) -> None:
    with pytest.raises(TypeError, match=r"item_ids\[0\] must be a non-empty string"):
        client.delete_items([""])
