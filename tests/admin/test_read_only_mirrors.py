"""Mirror rows of host data are read-only in the admin; their actions stay; a profile's status."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_octy.models import (
    EntryType,
    Event,
    EventType,
    Item,
    MessageTemplate,
    OctopusEntry,
    Profile,
    Segment,
    SyncState,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mirrors() -> dict[str, Any]:
    profile = Profile.objects.create(customer_id="cust-1")
    return {
        "profile": profile,
        "item": Item.objects.create(item_id="tent", item_category="camp", item_name="Tent"),
        "event": Event.objects.create(profile=profile, event_type="charged"),
        "octopusentry": OctopusEntry.objects.create(
            entry_type=EntryType.COMPANY, data={"CompanyName": "Acme"}
        ),
    }


@pytest.mark.parametrize("name", ["profile", "item", "event", "octopusentry"])
def test_mirror_rows_have_no_add_change_or_delete_form(
    superuser_client: Client, mirrors: dict[str, Any], name: str
) -> None:
    row = mirrors[name]
    before = type(row).objects.values().get(pk=row.pk)
    change = reverse(f"admin:django_octy_{name}_change", args=[row.pk])

    assert superuser_client.get(reverse(f"admin:django_octy_{name}_add")).status_code == 403
    assert superuser_client.post(change, {"customer_id": "forged"}).status_code == 403
    delete = reverse(f"admin:django_octy_{name}_delete", args=[row.pk])
    assert superuser_client.get(delete).status_code == 403
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    page = superuser_client.get(change).content.decode()
    assert 'name="_save"' not in page and "<textarea" not in page
    assert type(row).objects.values().get(pk=row.pk) == before, "nothing was written"
    listing = superuser_client.get(reverse(f"admin:django_octy_{name}_changelist"))
    actions = [value for value, _ in listing.context["action_form"].fields["action"].choices]
    assert "push_now" in actions and "delete_selected" not in actions
    assert reverse(f"admin:django_octy_{name}_add") not in listing.content.decode()


def test_the_actions_still_queue_rows(
    superuser_client: Client, mirrors: dict[str, Any], published: list[dict[str, Any]]
) -> None:
    profile = mirrors["profile"]
    Profile.objects.filter(pk=profile.pk).update(state=SyncState.FAILED)
    data = {"action": "requeue_failed_rows", "_selected_action": [profile.pk]}
    superuser_client.post(reverse("admin:django_octy_profile_changelist"), data, follow=True)
    assert Profile.objects.get().state == SyncState.PENDING
    assert [task["task"] for task in published] == ["django_octy.tasks.flush"]


@pytest.mark.parametrize(
    ("name", "model", "fields"),
    [
        ("eventtype", EventType, {"event_type": "login"}),
        ("segment", Segment, {"segment_name": "vip"}),
        ("messagetemplate", MessageTemplate, {"friendly_name": "hi", "template_type": "email"}),
    ],
)
def test_definitions_are_written_in_the_admin_but_never_deleted_by_hand(
    superuser_client: Client, name: str, model: Any, fields: dict[str, Any]
) -> None:
    row = model.objects.create(**fields)
    assert superuser_client.get(reverse(f"admin:django_octy_{name}_add")).status_code == 200
    change = superuser_client.get(reverse(f"admin:django_octy_{name}_change", args=[row.pk]))
    assert 'name="_save"' in change.content.decode()
    delete = reverse(f"admin:django_octy_{name}_delete", args=[row.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({}, "Not in Octy yet"),
        ({"octy_id": "profile_1", "state": SyncState.SYNCED}, "In Octy"),
        ({"octy_id": "profile_1", "status": "active"}, "active"),
        ({"octy_id": "profile_1", "remote": {"status": "inactive"}}, "inactive"),
        ({"state": SyncState.DELETED}, "Deleted from Octy"),
    ],
)
def test_a_profile_shows_its_status_in_octy(
    superuser_client: Client, changes: dict[str, Any], shown: str
) -> None:
    profile = Profile.objects.create(customer_id="cust-1")
    Profile.objects.filter(pk=profile.pk).update(**changes)
    page = superuser_client.get(reverse("admin:django_octy_profile_change", args=[profile.pk]))
    html = page.content.decode()
    assert "Status in Octy" in html
    assert f'<div class="readonly">{shown}</div>' in html


def test_a_merged_profile_names_its_parent(superuser_client: Client) -> None:
    parent = Profile.objects.create(customer_id="known-7")
    child = Profile.objects.create(customer_id="anon-1")
    Profile.objects.filter(pk=child.pk).update(parent=parent, octy_id="profile_2")
    page = superuser_client.get(reverse("admin:django_octy_profile_change", args=[child.pk]))
    assert '<div class="readonly">Merged into known-7</div>' in page.content.decode()
