"""Pushing address-book entries to the fake Octopus over real HTTP: the Octopus target of
the engine, with the guarantees of the Octy one."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from django_octy import mark_dirty
from django_octy.models import AlarmKind, OctopusEntry, Profile, SyncAlarm, SyncError, SyncState
from django_octy.octopus import decode_key
from django_octy.signals import pre_push
from django_octy.sync.flush import flush_all
from django_octy.sync.pending import has_due_rows
from django_octy.sync.recording import source_ref
from django_octy.testing import FakeOctopus, FakeOcty
from tests.shop.models import Company, Customer, Person
from tests.sync.conftest import wait_until

from .conftest import methods, sent_data

pytestmark = pytest.mark.django_db(transaction=True)

ENTRY = "octopus_entry"


def entry_of(obj: Any) -> OctopusEntry:
    return OctopusEntry.objects.get(**source_ref(obj))


@pytest.fixture
def wine_shop() -> dict[str, Any]:
    company = Company.objects.create(name="ABC Wine Shop", phone="555-0100")
    people = [
        Person.objects.create(company=company, first_name=first, last_name="Lee", email=email)
        for first, email in (("Ann", "ann@abc.example"), ("Bob", "bob@abc.example"))
    ]
    return {"company": company, "people": people}


def test_company_then_its_contacts_with_the_parent_key_resolved(
    crm: FakeOctopus, wine_shop: dict[str, Any]
) -> None:
    summary = flush_all([ENTRY])

    assert summary.of(ENTRY).created == 3 and not summary.stopped
    company = entry_of(wine_shop["company"])
    contacts = [entry_of(person) for person in wine_shop["people"]]
    assert {row.state for row in [company, *contacts]} == {SyncState.SYNCED}
    remote = crm.entries
    assert remote[str(company.octy_id)]["CompanyName"] == "ABC Wine Shop"
    for contact, person in zip(contacts, wine_shop["people"], strict=True):
        entry = remote[str(contact.octy_id)]
        assert entry["Type"] == "Contact" and entry["FirstName"] == person.first_name
        assert entry["ParentKey"] == company.octy_id
    creates = sent_data(crm, "Create")
    assert [data["Type"] for data in creates] == ["Company", "Contact", "Contact"]


def test_a_contact_waits_for_its_parent_instead_of_failing(crm: FakeOctopus) -> None:
    crm.reject_entry("CompanyName", "Closed Ltd", "The company name is on the block list")
    company = Company.objects.create(name="Closed Ltd")
    person = Person.objects.create(company=company, last_name="Lee")

    flush_all([ENTRY])

    assert entry_of(company).state == SyncState.FAILED
    waiting = entry_of(person)
    assert (waiting.state, waiting.attempts, waiting.last_error) == (SyncState.PENDING, 0, "")
    assert not has_due_rows()

    company.name = "Open Ltd"
    company.save()
    flush_all([ENTRY])

    assert entry_of(person).state == SyncState.SYNCED
    assert crm.entries[str(entry_of(person).octy_id)]["ParentKey"] == entry_of(company).octy_id


def test_update_and_delete_use_the_stored_identity_not_a_key_of_another_session(
    crm: FakeOctopus, wine_shop: dict[str, Any]
) -> None:
    flush_all([ENTRY])
    ann, bob = wine_shop["people"]
    identity = entry_of(ann).octy_id
    first_key = crm.entries[str(identity)]["Key"]
    crm.expire_tokens()  # a new session: the CRM hands out other Keys from now on

    ann.email = "ann@new.example"
    ann.save()
    bob_row = entry_of(bob)
    bob.delete()
    summary = flush_all([ENTRY])

    assert (summary.of(ENTRY).updated, summary.of(ENTRY).deleted) == (1, 1)
    row = entry_of(ann)
    assert (row.octy_id, row.state) == (identity, SyncState.SYNCED)
    assert crm.entries[str(identity)]["Email"] == "ann@new.example"
    assert crm.entries[str(identity)]["Key"] != first_key
    assert decode_key(crm.entries[str(identity)]["Key"]).stable_id == identity
    bob_row.refresh_from_db()
    assert bob_row.state == SyncState.DELETED and str(bob_row.octy_id) not in crm.entries
    assert methods(crm).count("Authenticate") == 2


def test_token_expiry_mid_run_authenticates_again_once_and_goes_on(
    crm: FakeOctopus, settings: Any
) -> None:
    settings.OCTOPUS = {**settings.OCTOPUS, "BATCH_SIZE": 2}
    pushes: list[int] = []

    def expire_before_the_second_push(**kwargs: Any) -> None:
        pushes.append(len(kwargs["rows"]))
        if len(pushes) == 2:
            crm.expire_tokens()

    pre_push.connect(expire_before_the_second_push, sender=OctopusEntry, weak=False)
    try:
        Company.objects.bulk_create([Company(name=f"Company {n}") for n in range(5)])
        mark_dirty(Company.objects.all())
        summary = flush_all([ENTRY])
    finally:
        pre_push.disconnect(expire_before_the_second_push, sender=OctopusEntry)

    assert pushes == [2, 2, 1]
    assert summary.of(ENTRY).created == 5 and not summary.stopped
    assert len(crm.entries) == 5
    assert methods(crm).count("Authenticate") == 2
    assert not SyncError.objects.exists() and not SyncAlarm.objects.exists()


def test_a_refused_entry_fails_alone_with_the_crm_message(crm: FakeOctopus) -> None:
    crm.reject_entry("CompanyName", "Bad Co", "CompanyName is not allowed")
    for name in ("Good One", "Bad Co", "Good Two"):
        Company.objects.create(name=name)

    summary = flush_all([ENTRY])

    assert (summary.of(ENTRY).created, summary.of(ENTRY).failed) == (2, 1)
    bad = OctopusEntry.objects.get(data__CompanyName="Bad Co")
    assert bad.state == SyncState.FAILED and "CompanyName is not allowed" in bad.last_error
    error = SyncError.objects.get()
    assert (error.entity, error.row_id, error.operation) == (ENTRY, bad.pk, "create")
    assert error.messages == ["CompanyName is not allowed"] and error.reason
    assert sorted(e["CompanyName"] for e in crm.entries.values()) == ["Good One", "Good Two"]


def test_a_429_is_honoured_with_backoff_and_the_rest_comes_back_later(
    crm: FakeOctopus, settings: Any
) -> None:
    Company.objects.create(name="First")
    Company.objects.create(name="Second")
    crm.inject("Create", status=429, retry_after=0.5, times=1)
    before = timezone.now()

    summary = flush_all([ENTRY])

    assert (summary.of(ENTRY).retried, summary.of(ENTRY).failed) == (2, 0)
    assert methods(crm).count("Create") == 1  # nothing else sent into the 429
    rows = list(OctopusEntry.objects.all())
    assert {(row.state, row.attempts) for row in rows} == {(SyncState.PENDING, 1)}
    assert all((row.next_attempt_at - before).total_seconds() >= 0.5 for row in rows)
    assert not has_due_rows()

    wait_until(has_due_rows, timeout=10, what="the backoff to pass")
    flush_all([ENTRY])

    assert {row.state for row in OctopusEntry.objects.all()} == {SyncState.SYNCED}
    assert sorted(e["CompanyName"] for e in crm.entries.values()) == ["First", "Second"]


def test_customers_go_to_both_targets_and_a_refused_crm_stops_only_its_own_target(
    crm: FakeOctopus, octy: FakeOcty, customers_as_individuals: None, settings: Any
) -> None:
    settings.OCTOPUS = {**settings.OCTOPUS, "PASSWORD": "not-the-password-x9"}
    Customer.objects.create(email="ann@example.com", first_name="Ann")

    summary = flush_all()

    assert summary.of("profile").created == 1
    assert set(summary.stopped_targets) == {"octopus"}
    alarm = SyncAlarm.objects.get()
    assert alarm.kind == AlarmKind.OCTOPUS_AUTH and "not-the-password-x9" not in alarm.message
    row = OctopusEntry.objects.get()
    assert (row.state, row.attempts) == (SyncState.PENDING, 0)

    settings.OCTOPUS = {**settings.OCTOPUS, "PASSWORD": crm.password}
    summary = flush_all()

    assert not summary.stopped and summary.of(ENTRY).created == 1
    assert SyncAlarm.objects.get().resolved_at is not None
    entry = crm.entries[str(OctopusEntry.objects.get().octy_id)]
    assert (entry["Type"], entry["Email"]) == ("Individual", "ann@example.com")
    assert Profile.objects.get().state == SyncState.SYNCED


def test_without_octopus_settings_entries_wait_and_wake_no_flush(
    octy: FakeOcty, settings: Any
) -> None:
    Company.objects.create(name="Later Ltd")

    summary = flush_all()

    assert ENTRY not in summary.entities and not summary.stopped
    assert OctopusEntry.objects.get().state == SyncState.PENDING
    assert not has_due_rows()
