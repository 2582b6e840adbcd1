"""Tracing Octy's failure entries back to the objects that were sent (no network)."""

from __future__ import annotations

import pytest

from django_octy.client import OctyAPIError, OctyClient
from django_octy.client.batching import FailureLocator, read_answer
from django_octy.client.client import (
    CREATE_EVENTS,
    CREATE_PROFILES,
    GENERATE_CONTENT,
    UPDATE_PROFILES,
)
from django_octy.testing import FakeOcty
from django_octy.testing.dialect import Dialect

from .data import profile


def event(profile_id: str, **properties: object) -> dict[str, object]:
    return {"event_type": "charged", "profile_id": profile_id, "event_properties": properties}


def test_events_echoed_with_normalised_properties_still_find_their_position() -> None:
    sent = [event("p1", item_id="a"), event("p2", item_id=7), event("p3", item_id="c")]
    echoed = {**event("p2", item_id="7"), "error_message": "nope"}
    [failure] = read_answer(CREATE_EVENTS, {"failed_to_create": [echoed]}, sent, 1000).failed
    assert (failure.identifier, failure.index, failure.message) == (None, 1001, "nope")


def test_exact_content_wins_over_a_looser_match() -> None:
    sent = [event("p1", item_id="a"), event("p1", item_id="b")]
    locator = FailureLocator(CREATE_EVENTS, sent, 0)
    assert locator.locate({**event("p1", item_id="b"), "error_message": "x"}).index == 1
    assert locator.locate({**event("p1", item_id="zzz"), "error_message": "x"}).index == 0


def test_a_failure_matching_nothing_sent_has_no_index() -> None:
    locator = FailureLocator(CREATE_PROFILES, [{"customer_id": "c1"}], 0)
    failure = locator.locate({"customer_id": "someone-else", "error_message": "x"})
    assert (failure.identifier, failure.index) == ("someone-else", None)


def test_update_failure_echoing_only_the_customer_id_is_found() -> None:
    sent = [{"profile_id": "p1", "customer_id": "c1"}, {"profile_id": "p2", "customer_id": "c2"}]
    [failure] = read_answer(
        UPDATE_PROFILES,
        {"failed_to_update": [{"customer_id": "c2", "error_message": "x"}]},
        sent,
        0,
    ).failed
    assert (failure.identifier, failure.index) == ("c2", 1)


def test_several_failed_data_entries_of_one_message_point_at_it() -> None:
    sent = [{"template_id": "t1", "data": []}, {"template_id": "t2", "data": []}]
    body = {
        "generated_messages": [],
        "failed_messages": [
            {"template_id": "t2", "profile_id": "p1", "error_message": "x"},
            {"template_id": "t2", "profile_id": "p2", "error_message": "y"},
        ],
        "failed templates": [{"template_id": "t1", "error_message": "z"}],
    }
    failed = read_answer(GENERATE_CONTENT, body, sent, 0).failed
    assert [(f.identifier, f.index, f.message) for f in failed] == [
        ("t2", 1, "x"),
        ("t2", 1, "y"),
        ("t1", 0, "z"),
    ]


def test_a_failure_keyed_identifier_finds_its_object() -> None:
    """Octy's reference page shows failures as ``{"identifier": ..., "error_message": ...}``;
    Octy's command-line client reads the entity's own key (``Octy-ai/octy-cli``,
    ``internal/adapters/secondary/rest/models/profiles.go``): both find the object."""
    sent = [{"profile_id": "p1", "customer_id": "c1"}, {"profile_id": "p2", "customer_id": "c2"}]
    body = {"failed_to_update": [{"identifier": "p2", "error_message": "x"}]}
    [failure] = read_answer(UPDATE_PROFILES, body, sent, 10).failed
    assert (failure.identifier, failure.index, failure.message) == ("p2", 11, "x")


def test_a_failure_naming_no_object_sent_fails_the_request_loudly() -> None:
    """A failure the client cannot trace to an object it sent (under the entity's key or
    ``identifier``) is an error of the whole request, not a row quietly retried for ever."""
    body = {"failed_to_create": [{"identifier": "someone-else", "error_message": "nope"}]}
    with pytest.raises(OctyAPIError, match="'someone-else', which this request did not send"):
        read_answer(CREATE_PROFILES, body, [{"customer_id": "c1"}], 0)
    unnamed = {"failed_to_create": [{"error_message": "nope"}]}
    with pytest.raises(OctyAPIError, match="refused an object, which"):
        read_answer(CREATE_PROFILES, unnamed, [{"customer_id": "c1"}], 0)


def test_failures_named_either_way_by_the_fake_are_traced(
    client: OctyClient, octy: FakeOcty
) -> None:
    """The fake names failures by the entity's key by default (``octy-cli``'s models) and by
    ``identifier`` (Octy's reference page) when told to."""
    for key in ("own", "identifier"):
        octy.dialect = Dialect(failure_key=key)
        octy.inject("/v1/retention/profiles/create", reject={f"bad-{key}": "Blocked"})
        result = client.create_profiles([profile(f"ok-{key}"), profile(f"bad-{key}")])
        assert [(f.identifier, f.index, f.message) for f in result.failed] == [
            (f"bad-{key}", 1, "Blocked")
        ]
        assert ("identifier" in result.failed[0].raw) is (key == "identifier")
