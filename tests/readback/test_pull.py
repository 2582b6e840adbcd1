"""Pulling what Octy computes into the mirror, and querying it from Django."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_octy import insights
from django_octy.connection import get_client
from django_octy.models import Event, EventType, MessageTemplate, Profile, SyncState
from django_octy.readback import PULLABLE, pull
from django_octy.readback.merges import parent_of
from django_octy.sync.flush import flush_all
from django_octy.sync.folding import fold_changes
from django_octy.sync.recording import track
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

pytestmark = pytest.mark.django_db


def profile(customer: Customer) -> Profile:
    return Profile.objects.get(customer_id=str(customer.pk))


def test_pull_sets_insights_and_the_host_queryset_filters_on_them(
    octy: FakeOcty, shop: dict[str, Any]
) -> None:
    ann, bob, cid = shop["customers"]
    octy.set_profile_insights(
        str(ann.pk), churn_probability="high", rfm_score=444, segment_tags=["worst customers"]
    )
    octy.set_profile_insights(
        str(bob.pk), churn_probability="high", rfm_score=111, segment_tags=["fast paying customers"]
    )
    octy.set_profile_insights(
        str(cid.pk), churn_probability="low", rfm_score=333, segment_tags=["worst customers"]
    )

    summary = pull("profile")

    assert summary.fetched == 3
    assert (profile(ann).churn_probability, profile(ann).rfm_score) == ("high", 444)
    assert profile(ann).segment_tags == ["worst customers"]
    assert profile(ann).state == SyncState.SYNCED, "reading back is not a local change"
    at_risk = insights.customers(Customer, churn_probability="high", segment="worst customers")
    assert list(at_risk) == [ann]
    assert set(insights.customers(Customer.objects.all(), rfm_min=300)) == {ann, cid}
    assert list(
        insights.customers(Customer.objects.exclude(pk=ann.pk), segment="worst customers")
    ) == [cid]


def test_pull_by_row_ids_fetches_only_those(octy: FakeOcty, shop: dict[str, Any]) -> None:
    ann, bob, _ = shop["customers"]
    for customer in (ann, bob):
        octy.set_profile_insights(str(customer.pk), churn_probability="medium")
    octy.request_log.clear()

    pull("profile", [profile(ann).pk])

    assert profile(ann).churn_probability == "medium"
    assert profile(bob).churn_probability == ""
    (lookup,) = [e for e in octy.request_log if e.path == "/v1/retention/profiles"]
    assert profile(ann).octy_id in lookup.query


@pytest.mark.parametrize("mapped", [True, False], ids=["mapped", "waiting-in-the-log"])
def test_pull_keeps_a_pending_local_change(
    octy: FakeOcty, shop: dict[str, Any], mapped: bool
) -> None:
    ann = shop["customers"][0]
    octy.set_profile_insights(str(ann.pk), churn_probability="high")
    ann.first_name = "Annie"
    ann.save()
    if mapped:
        fold_changes()  # the change is on the mirror row, pending, when the pull comes

    pull("profile")

    fold_changes()
    row = profile(ann)
    assert row.state == SyncState.PENDING
    assert row.profile_data["first_name"] == "Annie"
    assert row.churn_probability == "high"


def test_pull_of_definitions_adopts_objects_made_elsewhere(octy: FakeOcty, db: None) -> None:
    from django_octy.connection import get_client

    with get_client() as client:
        client.create_event_types([{"event_type": "login", "event_properties": ["device"]}])
        client.create_templates(
            [
                {
                    "friendly_name": "Hello",
                    "template_type": "email",
                    "title": "Hi",
                    "content": "Hi {name}",
                    "default_values": {"name": "there"},
                }
            ]
        )

    pull("event_type")
    pull("template")

    login = EventType.objects.get(event_type="login")
    assert (login.event_properties, login.state) == (["device"], SyncState.SYNCED)
    assert login.octy_id == octy.event_types["login"]["event_type_id"]
    hello = MessageTemplate.objects.get(friendly_name="Hello")
    assert hello.default_values == {"name": "there"} and hello.octy_id
    assert flush_all().total("sent") == 0, "pulled rows have nothing to push"


def test_events_cannot_be_pulled(db: None) -> None:
    with pytest.raises(ValueError, match="Cannot pull 'event'"):
        pull("event")


def test_a_merge_repoints_the_child_row_and_its_pending_events(
    octy: FakeOcty, shop: dict[str, Any]
) -> None:
    ann = shop["customers"][0]
    track("anon-1", "charged", {"item_id": "sku-0", "payment_method": "visa"})
    flush_all()
    anonymous = Profile.objects.get(customer_id="anon-1")
    pushed = Event.objects.get(profile=anonymous)
    assert pushed.state == SyncState.SYNCED
    octy.merge_profiles("anon-1", str(ann.pk))
    waiting = track(anonymous, "charged", {"item_id": "sku-1", "payment_method": "visa"})

    summary = pull("profile")

    assert summary.merged == 1
    anonymous.refresh_from_db()
    assert anonymous.parent == profile(ann)
    assert Event.objects.get(pk=pushed.pk).profile == anonymous, "history stays with the child"
    assert Event.objects.get(pk=waiting.pk).profile == profile(ann)
    assert insights.profile_of("anon-1") == profile(ann)
    flush_all()
    parent_id = profile(ann).octy_id
    assert [
        e["event_properties"]["item_id"] for e in octy.events if e["profile_id"] == parent_id
    ] == ["sku-1"]
    assert pull("profile").merged == 0, "a merge is recorded once"


def test_events_tracked_for_a_merged_child_reach_octy_under_the_parent(
    octy: FakeOcty, shop: dict[str, Any]
) -> None:
    ann = shop["customers"][0]
    track("anon-2", "charged", {"item_id": "sku-0", "payment_method": "visa"})
    flush_all()
    octy.merge_profiles("anon-2", str(ann.pk))
    pull("profile")

    late = track("anon-2", "charged", {"item_id": "sku-2", "payment_method": "card"})
    flush_all()

    late.refresh_from_db()
    assert late.state == SyncState.SYNCED
    parent_id = profile(ann).octy_id
    assert [
        e["event_properties"]["item_id"] for e in octy.events if e["profile_id"] == parent_id
    ] == ["sku-2"]


def test_pulling_a_merged_profile_by_id_records_the_merge(
    octy: FakeOcty, shop: dict[str, Any]
) -> None:
    ann, bob, _ = shop["customers"]
    octy.merge_profiles(str(bob.pk), str(ann.pk))

    summary = pull("profile", [profile(bob).pk])

    assert (summary.fetched, summary.merged) == (0, 1)
    assert profile(bob).parent == profile(ann)
    unscored = insights.customers(Customer, churn_probability="")
    assert set(unscored) == {ann, shop["customers"][2]}, "merged-away profiles are left out"


def test_a_merge_is_recorded_against_octys_labels_and_existence_flag(
    octy: FakeOcty, shop: dict[str, Any]
) -> None:
    """Octy labels a merged-away child ``"child_profile"`` and answers ``profile_exists: false``
    for it (``Octy-ai/octy-shopify``, ``internal/application/api/customer_api.go``)."""
    ann, bob, _ = shop["customers"]
    octy.merge_profiles(str(bob.pk), str(ann.pk))
    with get_client() as client:
        (meta,) = client.get_profile_metadata([str(bob.pk)])
    assert meta["profile"]["profile_exists"] is False
    assert meta["merged_info"]["parent_or_child"] == "child_profile"

    summary = pull("profile")

    assert (summary.merged, summary.recreated) == (1, 0)
    assert profile(bob).parent == profile(ann)
    assert profile(bob).octy_id, "a merged child keeps its id: it is not created again"


def test_the_older_child_label_is_read_too() -> None:
    """Earlier versions of this project expected ``"child"``; Octy's own integration reads
    ``"child_profile"`` (``Octy-ai/octy-shopify``, ``internal/application/api/customer_api.go``).
    """
    parent = {"parent_profile_id": "p-1", "parent_customer_id": "c-1"}
    for label in ("child_profile", "child"):
        meta = {"merged_info": {"was_merged": True, "parent_or_child": label}}
        assert parent_of({**meta, "merged_info": {**meta["merged_info"], "parent_profile": parent}})
    parent_meta = {"merged_info": {"parent_or_child": "parent_profile", "parent_profile": parent}}
    assert parent_of(parent_meta) is None


def test_a_profile_octy_deleted_is_created_again(octy: FakeOcty, shop: dict[str, Any]) -> None:
    """``profile_exists: false`` with ``was_merged: false`` means Octy deleted the profile, and
    Octy's own integration creates it again (``Octy-ai/octy-shopify``,
    ``internal/application/api/customer_api.go``)."""
    ann = shop["customers"][0]
    old_id = profile(ann).octy_id
    with get_client() as client:
        client.delete_profiles([old_id])

    summary = pull("profile")

    assert (summary.merged, summary.recreated) == (0, 1)
    row = profile(ann)
    assert (row.state, row.octy_id, row.parent) == (SyncState.PENDING, None, None)
    flush_all()
    row.refresh_from_db()
    assert row.state == SyncState.SYNCED and row.octy_id not in (None, old_id)
    assert octy.profiles[str(ann.pk)]["profile_id"] == row.octy_id
    assert pull("profile").recreated == 0


def test_a_profile_being_removed_here_is_not_created_again(
    octy: FakeOcty, shop: dict[str, Any]
) -> None:
    """The other side of the rule above: a row whose removal is queued stays removed."""
    ann = shop["customers"][0]
    with get_client() as client:
        client.delete_profiles([profile(ann).octy_id])
    ann.delete()

    assert pull("profile").recreated == 0


def test_octy_pull_without_an_argument_pulls_everything(
    octy: FakeOcty, shop: dict[str, Any]
) -> None:
    """As docs/readback.md shows it; Python 3.11's argparse checked ``[]`` against the choices."""
    out = StringIO()

    call_command("octy_pull", stdout=out)

    pulled = [line.split(":")[0] for line in out.getvalue().splitlines()]
    assert pulled == [str(entity) for entity in PULLABLE]
    assert "profile: 3 fetched" in out.getvalue()


def test_octy_pull_refuses_an_entity_it_cannot_pull(db: None) -> None:
    with pytest.raises(CommandError, match="'event' is not one of"):
        call_command("octy_pull", "event")
