"""Nothing waits forever, and what waits says why (issue 14 item 7, issue 13 item 4).

Every outstanding row is due, in backoff with a next attempt, or failed with a
reason the admin shows. A row that waits on another object (an event on its
profile or its declared event type, a CRM contact on its company) is shown
waiting, with that object and its state, in the admin and in ``octy_status``.
An event whose profile was deleted before the event reached Octy can never be
sent: it fails with that reason instead of staying pending.
"""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_octy.definitions.replacement import save_definition
from django_octy.models import Event, EventType, OctopusEntry, Profile, SyncState
from django_octy.sync.flush import flush_all
from django_octy.sync.folding import fold_changes
from django_octy.sync.pending import MIRROR_MODELS, due, outstanding
from django_octy.sync.recording import track
from django_octy.testing import FakeOctopus, FakeOcty
from tests.shop.models import Company, Customer, Person

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]


def rows_waiting_for_nothing_known() -> list[str]:
    """Outstanding rows neither due, nor in backoff, nor leased, nor shown as waiting."""
    now = timezone.now()
    stuck = []
    for model in MIRROR_MODELS:
        idle = outstanding(model).filter(next_attempt_at__isnull=True, leased_until__isnull=True)
        shown = status_waiting_rows(model)
        stuck += [
            f"{model.__name__} {row.pk}"
            for row in idle.exclude(pk__in=due(model, now).values("pk"))
            if row.pk not in shown
        ]
    return stuck


def status_waiting_rows(model: type[Any]) -> set[int]:
    from django_octy.sync.waiting import dependencies

    waiting: set[int] = set()
    for dependency in dependencies(model):
        waiting |= set(outstanding(model).filter(dependency.blocked).values_list("pk", flat=True))
    return waiting


def status_json() -> dict[str, Any]:
    out = StringIO()
    call_command("octy_status", "--json", stdout=out)
    loaded: dict[str, Any] = json.loads(out.getvalue())
    return loaded


def status_text() -> str:
    out = StringIO()
    call_command("octy_status", stdout=out)
    return out.getvalue()


def admin_page(model: type[Any], pk: int) -> str:
    user = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(user)
    meta = model._meta
    response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_event_whose_profile_is_deleted_goes_with_it(octy_settings: FakeOcty) -> None:
    """An event still pending when its profile is deleted never waits: once Octy confirms
    the profile's delete, the event that never reached Octy is erased with the profile's
    personal data (:mod:`django_octy.erasure`), and nothing is left waiting for it."""
    customer = Customer.objects.create(email="gone@example.com", first_name="Gone")
    flush_all()
    assert Profile.objects.get().state == SyncState.SYNCED
    event = track(customer, "page_view", {"page": "/"})
    customer.delete()  # before the event's flush: the profile's deletion goes first

    flush_all()
    flush_all()

    assert not Event.objects.filter(pk=event.pk).exists()
    assert octy_settings.profiles == {}
    assert octy_settings.events == []
    assert rows_waiting_for_nothing_known() == []
    assert outstanding(Event).count() == 0


def test_events_waiting_on_a_failed_event_type_say_so(octy_settings: FakeOcty) -> None:
    """Issue 13 item 4: the event type failed; its events wait, and say on what."""
    EventType.objects.create(event_type="subscribed", event_properties=["plan"])
    octy_settings.reject_object("subscribed", "Event type refused by the test")
    customer = Customer.objects.create(email="a@example.com")
    events = [track(customer, "subscribed", {"plan": str(n)}) for n in range(3)]

    flush_all()

    event_type = EventType.objects.get(event_type="subscribed")
    assert event_type.state == SyncState.FAILED
    assert {e.state for e in Event.objects.all()} == {SyncState.PENDING}
    waiting = status_json()["entities"]["event"]["waiting"]
    assert waiting["event_type"]["rows"] == 3
    (blocking,) = waiting["event_type"]["on"]
    assert "subscribed (failed: " in blocking
    assert "Event type refused by the test" in blocking
    assert "Event: 3 waiting for its event type: subscribed (failed" in status_text()
    assert "its event type subscribed (failed" in admin_page(Event, events[0].pk)
    assert rows_waiting_for_nothing_known() == []


def test_events_waiting_on_a_profile_octy_refused_say_so(octy_settings: FakeOcty) -> None:
    customer = Customer.objects.create(email="b@example.com")
    octy_settings.reject_object(str(customer.pk), "Profile refused by the test")
    track(customer, "page_view", {"page": "/"})

    flush_all()

    waiting = status_json()["entities"]["event"]["waiting"]
    assert waiting["profile"]["rows"] == 1
    assert "Profile refused by the test" in waiting["profile"]["on"][0]


def test_a_contact_whose_company_is_deleted_fails_with_the_reason(
    octopus_settings: FakeOctopus, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "MAX_RETRIES": 0}  # no Octy here: fail its pushes fast
    company = Company.objects.create(name="Acme")
    person = Person.objects.create(company=company, last_name="Doe")
    fold_changes()  # their entries, not pushed yet
    contact = OctopusEntry.objects.get(entry_type="Contact")
    parent = OctopusEntry.objects.get(entry_type="Company")
    octopus_settings.reject_entry("CompanyName", "Acme", "Company refused by the test")
    flush_all()
    assert OctopusEntry.objects.get(pk=parent.pk).state == SyncState.FAILED
    waiting = status_json()["entities"]["octopus_entry"]["waiting"]
    assert waiting["parent"]["rows"] == 1
    assert "Company refused by the test" in waiting["parent"]["on"][0]

    # The company goes from the host; its person stays, pointing at a company being removed.
    OctopusEntry.objects.filter(pk=parent.pk).update(
        state=SyncState.DELETE_PENDING, deletion_requested=True
    )
    assert person.pk
    flush_all()

    contact.refresh_from_db()
    assert contact.state == SyncState.FAILED
    assert "was deleted before the entry reached the CRM" in contact.last_error
    assert rows_waiting_for_nothing_known() == []


def test_events_of_a_replaced_event_type_wait_for_it_and_go(octy_settings: FakeOcty) -> None:
    """A changed event type is deleted from Octy only to be created again: not removed."""
    event_type = EventType.objects.create(event_type="subscribed", event_properties=["plan"])
    flush_all()
    event_type.refresh_from_db()
    event_type.event_properties = ["plan", "seats"]
    save_definition(event_type)
    customer = Customer.objects.create(email="c@example.com")
    event = track(customer, "subscribed", {"plan": "pro", "seats": 3})

    flush_all(["profile", "event"])  # before the old type has left Octy
    event.refresh_from_db()
    assert event.state == SyncState.PENDING
    assert status_json()["entities"]["event"]["waiting"]["event_type"]["rows"] == 1
    flush_all()
    flush_all()

    event.refresh_from_db()
    assert (event.state, event.last_error) == (SyncState.SYNCED, "")
    assert [e["event_properties"] for e in octy_settings.events] == [{"plan": "pro", "seats": 3}]
