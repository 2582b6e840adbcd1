"""The Octopus target against a CRM that behaves as the vendor's collection shows.

Source of every behaviour here: repository maximizercrm/octopus-api, file
postman/collections/OctopusAPI.json.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from django_octy.models import OctopusEntry, SyncState
from django_octy.octopus import decode_key
from django_octy.readback.octopus import pull_entries
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOctopus
from tests.shop.models import Company, Person

from .conftest import sent_data
from .test_flush import ENTRY, entry_of

pytestmark = pytest.mark.django_db(transaction=True)


def due_now() -> None:
    """The backoff of a failed push is over (instead of waiting for it)."""
    OctopusEntry.objects.update(next_attempt_at=timezone.now())


def test_an_entry_is_named_by_the_key_the_crm_issued_never_a_rebuilt_one(
    crm: FakeOctopus,
) -> None:
    """Keys decode to ``Contact`` whatever the Type without AbEntryKey 2.0, and to the Type
    or to ``AbEntry`` with it: a Key rebuilt from the row's Type names nothing."""
    crm.state.abentry_keys = True
    company = Company.objects.create(name="ABC Wine Shop")
    person = Person.objects.create(company=company, last_name="Lee")
    flush_all([ENTRY])
    issued = {data["Key"] for data in crm.entries.values()}

    company.name = "ABC Wines"
    company.save()
    person.delete()
    summary = flush_all([ENTRY])

    assert (summary.of(ENTRY).updated, summary.of(ENTRY).deleted) == (1, 1)
    [update], [delete] = sent_data(crm, "Update"), sent_data(crm, "Delete")
    assert {update["Key"], delete["Key"]} <= issued
    assert {decode_key(key).type for key in issued} == {"AbEntry"}
    [stored] = crm.entries.values()
    assert stored["CompanyName"] == "ABC Wines"
    [create_contact] = [data for data in sent_data(crm, "Create") if "ParentKey" in data]
    assert create_contact["ParentKey"] in issued


def test_an_update_sends_only_what_the_entry_type_may_change(crm: FakeOctopus) -> None:
    """Type and ParentKey cannot be updated; a Contact's CompanyName (its parent's, as a read
    returns it) cannot be changed on the Contact, so a pulled one is not written back."""
    company = Company.objects.create(name="ABC Wine Shop")
    Person.objects.create(company=company, first_name="Ann", last_name="Lee")
    flush_all([ENTRY])
    crm.expire_tokens()
    OctopusEntry.objects.all().delete()
    pull_entries({"Type": {"$EQ": "Contact"}}, {"FirstName": 1, "LastName": 1, "CompanyName": 1})
    row = OctopusEntry.objects.get(entry_type="Contact")
    assert row.data["CompanyName"] == "ABC Wine Shop"  # the fake answers the parent's name
    row.data = {**row.data, "FirstName": "Anne"}
    row.save()  # a local change of a pulled entry

    summary = flush_all([ENTRY])

    assert summary.of(ENTRY).updated == 1 and summary.of(ENTRY).failed == 0
    [update] = sent_data(crm, "Update")
    assert set(update) == {"Key", "FirstName", "LastName"}
    assert crm.entries[str(row.octy_id)]["FirstName"] == "Anne"


def test_a_lost_create_answer_is_looked_up_and_never_duplicated(crm: FakeOctopus) -> None:
    """The collection has no idempotent create: the first Create happened, its answer was
    lost; the next push finds the entry instead of creating a second one."""
    crm.lose_answers("Create")
    company = Company.objects.create(name="ABC Wine Shop", phone="555-0100")

    first = flush_all([ENTRY])
    row = entry_of(company)
    assert first.of(ENTRY).retried == 1 and row.octy_id is None
    assert len(crm.entries) == 1  # the CRM has it, the row does not know

    due_now()
    flush_all([ENTRY])

    row.refresh_from_db()
    assert row.state == SyncState.SYNCED and str(row.octy_id) in crm.entries
    assert len(crm.entries) == 1
    assert [entry.method for entry in crm.request_log].count("Create") == 1


def test_a_lost_create_answer_is_looked_up_between_the_clients_own_retries(
    crm: FakeOctopus, settings: Any
) -> None:
    """The same, when the client retries at once: its retry is a lookup, not a second Create."""
    settings.OCTOPUS = {**settings.OCTOPUS, "MAX_RETRIES": 1}
    crm.lose_answers("Create")
    company = Company.objects.create(name="ABC Wine Shop")

    summary = flush_all([ENTRY])

    assert summary.of(ENTRY).created == 1
    row = entry_of(company)
    assert row.state == SyncState.SYNCED and list(crm.entries) == [row.octy_id]
    assert [entry.method for entry in crm.request_log] == ["Authenticate", "Create", "Read"]


def test_a_host_deleted_after_a_lost_create_answer_is_erased_from_the_crm(
    crm: FakeOctopus,
) -> None:
    """The create happened but its answer was lost, then the host object was deleted: the
    entry is looked up and deleted, never left in the CRM (an "erase me" reaches it)."""
    crm.lose_answers("Create")
    company = Company.objects.create(name="Erase Me Ltd")
    flush_all([ENTRY])
    assert len(crm.entries) == 1

    company.delete()
    due_now()
    summary = flush_all([ENTRY])

    assert summary.of(ENTRY).deleted == 1
    assert crm.entries == {}
    assert OctopusEntry.objects.get().state == SyncState.DELETED


def test_a_host_deleted_before_any_push_sends_nothing(crm: FakeOctopus) -> None:
    company = Company.objects.create(name="Never Sent Ltd")
    company.delete()
    flush_all([ENTRY])
    assert crm.request_log == []


def test_with_a_reference_field_the_lookup_uses_it(crm: FakeOctopus, settings: Any) -> None:
    """The collection's user-defined fields (``Udf/$NAME(...)``) can hold the host's id."""
    settings.OCTOPUS = {**settings.OCTOPUS, "REFERENCE_FIELD": "Udf/$NAME(Shop reference)"}
    crm.lose_answers("Create")
    company = Company.objects.create(name="ABC Wine Shop")
    flush_all([ENTRY])
    company.name = "ABC Wines"  # the data changed meanwhile: only the reference matches
    company.save()
    due_now()

    flush_all([ENTRY])

    [stored] = crm.entries.values()
    assert stored["CompanyName"] == "ABC Wines"
    assert stored["Udf/$NAME(Shop reference)"] == entry_of(company).reference
    reads = [
        e.body["AbEntry"]["Criteria"]["SearchQuery"] for e in crm.request_log if e.method == "Read"
    ]
    assert reads == [
        {
            "$AND": [
                {"Type": {"$EQ": "Company"}},
                {"Udf/$NAME(Shop reference)": {"$EQ": entry_of(company).reference}},
            ]
        }
    ]


def test_keys_valid_in_their_session_only_are_looked_up_again(crm: FakeOctopus) -> None:
    """Field and Object Types / Key: Keys "should be considered to be valid only for the
    session in which they are retrieved". A CRM that refuses an older session's Key gets the
    write again with the entry's current Key (the parent's too), looked up by what it was
    last told."""
    crm.state.session_keys = True
    company = Company.objects.create(name="ABC Wine Shop")
    flush_all([ENTRY])
    crm.expire_tokens()  # a new session: the cached Key is now refused

    company.name = "ABC Wines"
    company.save()
    person = Person.objects.create(company=company, last_name="Lee")
    summary = flush_all([ENTRY])

    assert (summary.of(ENTRY).updated, summary.of(ENTRY).created, summary.of(ENTRY).failed) == (
        1,
        1,
        0,
    )
    company_row, person_row = entry_of(company), entry_of(person)
    assert crm.entries[str(company_row.octy_id)]["CompanyName"] == "ABC Wines"
    assert crm.entries[str(person_row.octy_id)]["ParentKey"] == company_row.octy_id
    assert [entry.code for entry in crm.request_log if entry.method == "Update"] == [-1, 0]
