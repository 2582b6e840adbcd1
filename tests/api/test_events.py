"""POST events/: the site's JavaScript reports what the current visitor does."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from django_octy.definitions.replacement import save_definition
from django_octy.models import Event, EventType, SyncState
from django_octy.readback import pull
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

pytestmark = pytest.mark.django_db

URL = "/octy/events/"
WATCHED = {"event_type": "watched_video", "event_properties": {"video_id": "v-42"}}


def events_in_octy(octy: FakeOcty, customer_id: str) -> list[dict[str, Any]]:
    profile_id = octy.profiles[customer_id]["profile_id"]
    return [e for e in octy.events if e["profile_id"] == profile_id]


def test_an_anonymous_visitor_keeps_one_id_and_their_events_reach_octy(
    octy: FakeOcty, api: APIClient
) -> None:
    octy.request_log.clear()
    first = api.post(URL, WATCHED, format="json")
    second = api.post(URL, {"event_type": "watched_video"}, format="json")

    assert (first.status_code, second.status_code) == (202, 202)
    assert not octy.request_log, "the request never calls Octy"
    (customer_id,) = set(Event.objects.values_list("profile__customer_id", flat=True))
    assert customer_id.startswith("anon-")
    flush_all()
    found = events_in_octy(octy, customer_id)
    assert [e["event_properties"] for e in found] == [{"video_id": "v-42"}, {}]


def test_a_logged_in_visitors_events_go_to_their_customer_profile(
    octy: FakeOcty, api: APIClient, ann: Customer
) -> None:
    api.login(username="ann", password="pw")
    assert api.post(URL, WATCHED, format="json").status_code == 202
    flush_all()
    (event,) = events_in_octy(octy, str(ann.pk))
    assert event["event_type"] == "watched_video"


def test_an_undeclared_event_type_is_a_400_naming_it(octy: FakeOcty, api: APIClient) -> None:
    response = api.post(URL, {"event_type": "teleported"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"event_type": ["'teleported' is not a declared event type."]}
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"colour": "red"}, "'colour' not declared for event type 'watched_video'"),
        ({"video_id": {"nested": 1}}, "'video_id' must be a string, a number or a boolean."),
    ],
)
def test_bad_properties_are_a_400_naming_the_field(
    octy: FakeOcty, api: APIClient, properties: dict[str, Any], message: str
) -> None:
    body = {"event_type": "watched_video", "event_properties": properties}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert message in response.json()["event_properties"][0]


def test_events_of_a_type_being_replaced_are_accepted_and_wait(
    octy: FakeOcty, api: APIClient
) -> None:
    watched = EventType.objects.get(event_type="watched_video")
    watched.event_properties = ["video_id", "seconds"]
    save_definition(watched)

    response = api.post(URL, {**WATCHED, "event_properties": {"seconds": 30}}, format="json")

    assert response.status_code == 202
    flush_all()  # deletes the old event type; the event waits for the new one
    assert not octy.events
    flush_all()
    assert [e["event_properties"] for e in octy.events] == [{"seconds": 30}]


def test_a_removed_event_type_is_refused(octy: FakeOcty, api: APIClient) -> None:
    EventType.objects.filter(event_type="watched_video").update(
        state=SyncState.DELETE_PENDING, deletion_requested=True
    )
    assert api.post(URL, WATCHED, format="json").status_code == 400


def test_a_missing_event_type_is_a_400(octy: FakeOcty, api: APIClient) -> None:
    response = api.post(URL, {}, format="json")
    assert response.status_code == 400 and "event_type" in response.json()


def test_each_visitor_is_throttled_on_their_own(
    octy: FakeOcty, api: APIClient, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "EVENT_THROTTLE_RATE": "2/min"}
    statuses = [api.post(URL, WATCHED, format="json").status_code for _ in range(4)]
    # The first request, made before the visitor had a session, counts against their address.
    assert statuses == [202, 202, 202, 429]
    assert APIClient().post(URL, WATCHED, format="json").status_code == 202, "another visitor"
    assert APIClient().post(URL, WATCHED, format="json").status_code == 429, "the address's third"
    assert Event.objects.count() == 4


def test_after_octy_merges_an_anonymous_visitor_their_events_go_to_the_parent(
    octy: FakeOcty, api: APIClient, ann: Customer
) -> None:
    api.post(URL, WATCHED, format="json")
    flush_all()
    (anonymous,) = [c for c in octy.profiles if c.startswith("anon-")]
    octy.merge_profiles(anonymous, str(ann.pk))
    pull("profile")

    assert api.post(URL, {"event_type": "watched_video"}, format="json").status_code == 202
    flush_all()

    assert [e["event_properties"] for e in events_in_octy(octy, str(ann.pk))] == [{}]
