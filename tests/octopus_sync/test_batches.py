"""Entries pushed many to a request, as aliased payloads, against the fake Octopus over HTTP.

Source of the behaviours: repository maximizercrm/octopus-api, file
postman/collections/OctopusAPI.json, folder "Advanced / Batch Queries": payloads
named ``AbEntry.<alias>`` in one body, applied in order, each committed alone,
execution halting at the first error; the answer's shape for a failed write is
not shown, so both readings of the fake are run (error only, or with the Data
of the payloads applied before it).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from django_octy.models import OctopusEntry, SyncError, SyncState
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOctopus
from tests.shop.models import Company, Person

from .conftest import methods, sent_data
from .test_flush import ENTRY, entry_of

pytestmark = pytest.mark.django_db(transaction=True)

BOTH_READINGS = pytest.mark.parametrize("names_written", [False, True], ids=["error", "written"])


def due_now() -> None:
    """The backoff of a failed push is over (instead of waiting for it)."""
    OctopusEntry.objects.update(next_attempt_at=timezone.now())


def companies(*names: str) -> list[Company]:
    return [Company.objects.create(name=name) for name in names]


def aliased_requests(crm: FakeOctopus, method: str) -> list[list[str]]:
    """The payload names of each ``method`` request (``AbEntry``, or ``AbEntry.1``...)."""
    return [
        [name for name in entry.body if name.startswith("AbEntry")]
        for entry in crm.request_log
        if entry.method == method
    ]


def names_in_crm(crm: FakeOctopus) -> list[str]:
    return sorted(str(e.get("CompanyName") or e.get("LastName")) for e in crm.entries.values())


def test_a_claim_goes_out_in_aliased_requests_of_the_configured_size(
    crm: FakeOctopus, settings: Any
) -> None:
    """Batch Create, Update and Delete: ``AbEntry.1``, ``AbEntry.2``... in one body."""
    settings.OCTOPUS = {**settings.OCTOPUS, "ENTRIES_PER_REQUEST": 4}
    made = companies(*(f"Shop {n}" for n in range(10)))

    flush_all([ENTRY])
    for company in made:
        company.name += " Ltd"
        company.save()
    flush_all([ENTRY])
    for company in made:
        company.delete()
    summary = flush_all([ENTRY])

    sizes = {method: [len(names) for names in aliased_requests(crm, method)] for method in WRITES}
    assert sizes == {method: [4, 4, 2] for method in WRITES}
    assert aliased_requests(crm, "Create")[0] == [
        "AbEntry.1",
        "AbEntry.2",
        "AbEntry.3",
        "AbEntry.4",
    ]
    assert summary.of(ENTRY).deleted == 10 and crm.entries == {}
    assert set(OctopusEntry.objects.values_list("state", flat=True)) == {SyncState.DELETED}


WRITES = ("Create", "Update", "Delete")


@BOTH_READINGS
def test_a_create_request_stopped_at_a_refused_entry_refuses_it_alone_and_sends_the_rest(
    crm: FakeOctopus, names_written: bool
) -> None:
    """Batch Queries: execution halts at the first error, the payloads before it stay
    committed. The ones before are synced (never created twice), the refused one fails
    alone with an error row naming it, the ones after it are sent again and synced."""
    crm.failure_names_written = names_written
    crm.reject_entry("CompanyName", "Bad Co", "CompanyName is not allowed")
    made = companies("One", "Two", "Bad Co", "Four", "Five")

    summary = flush_all([ENTRY])

    assert (summary.of(ENTRY).created, summary.of(ENTRY).failed) == (4, 1)
    assert names_in_crm(crm) == ["Five", "Four", "One", "Two"]
    rows = [entry_of(company) for company in made]
    assert [row.state for row in rows] == [SyncState.SYNCED] * 2 + [SyncState.FAILED] + [
        SyncState.SYNCED
    ] * 2
    assert {str(row.octy_id) for row in rows if row.octy_id} == set(crm.entries)
    error = SyncError.objects.get()
    assert (error.row_id, error.operation, error.identifier) == (
        rows[2].pk,
        "create",
        rows[2].reference,
    )
    assert error.messages == ["CompanyName is not allowed"]
    assert methods(crm).count("Create") < len(made)


@BOTH_READINGS
def test_an_update_request_stopped_at_a_refused_entry_refuses_it_alone(
    crm: FakeOctopus, names_written: bool
) -> None:
    """Batch Update halts at the first error: the updates before it are kept, the ones
    after it are sent again; only the refused entry fails."""
    crm.failure_names_written = names_written
    made = companies("One", "Two", "Three", "Four", "Five", "Six")
    flush_all([ENTRY])
    crm.reject_entry("CompanyName", "Two Bad", "CompanyName is not allowed")
    crm.request_log.clear()

    for company in made:
        company.name += " Bad" if company.name == "Two" else " Ltd"
        company.save()
    summary = flush_all([ENTRY])

    assert (summary.of(ENTRY).updated, summary.of(ENTRY).failed) == (5, 1)
    assert names_in_crm(crm) == ["Five Ltd", "Four Ltd", "One Ltd", "Six Ltd", "Three Ltd", "Two"]
    error = SyncError.objects.get()
    assert (error.row_id, error.operation) == (entry_of(made[1]).pk, "update")
    assert methods(crm).count("Update") < len(made)


@BOTH_READINGS
def test_a_delete_request_stopped_at_an_entry_already_gone_deletes_the_rest(
    crm: FakeOctopus, names_written: bool
) -> None:
    """Batch Delete halts at a Key the CRM no longer has (someone deleted the entry
    there); the deletes after it are sent again. Told which payloads were applied, the
    refused one fails alone with the CRM's message, as a single delete would; not told,
    an entry the CRM no longer has counts as deleted (it cannot be told from one this
    request deleted)."""
    crm.failure_names_written = names_written
    made = companies("One", "Two", "Three", "Four")
    flush_all([ENTRY])
    rows = [entry_of(company) for company in made]
    gone = rows[1]
    crm.state.entries.pop(str(gone.octy_id))

    for company in made:
        company.delete()
    summary = flush_all([ENTRY])

    assert crm.entries == {} and methods(crm).count("Delete") < len(made)
    states = [OctopusEntry.objects.get(pk=row.pk).state for row in rows]
    if names_written:
        assert (summary.of(ENTRY).deleted, summary.of(ENTRY).failed) == (3, 1)
        assert states[1] == SyncState.FAILED and SyncError.objects.get().row_id == gone.pk
        del states[1]
    else:
        assert (summary.of(ENTRY).deleted, summary.of(ENTRY).failed) == (4, 0)
    assert set(states) == {SyncState.DELETED}


def test_a_lost_answer_to_a_create_request_never_duplicates_its_entries(
    crm: FakeOctopus,
) -> None:
    """No idempotent create in the collection, and a batch applies every payload before
    answering: its answer lost, every entry of the request may exist. The next push finds
    them instead of creating them again."""
    crm.lose_answers("Create")
    made = companies("One", "Two", "Three", "Four", "Five")

    first = flush_all([ENTRY])

    assert first.of(ENTRY).retried == 5 and len(crm.entries) == 5
    assert not OctopusEntry.objects.exclude(octy_id=None).exists()

    due_now()
    flush_all([ENTRY])

    rows = [entry_of(company) for company in made]
    assert {row.state for row in rows} == {SyncState.SYNCED}
    assert sorted(str(row.octy_id) for row in rows) == sorted(crm.entries)
    assert names_in_crm(crm) == ["Five", "Four", "One", "Three", "Two"]
    assert len(sent_data(crm, "Create")) == 5


def test_contacts_go_in_a_request_after_their_parents_with_the_parents_keys(
    crm: FakeOctopus,
) -> None:
    """A batch cannot name a Key made earlier in the same body (Batch Queries): parents go
    in one request, their contacts in the next, each with its own parent's Key."""
    crm.reject_entry("CompanyName", "Closed Ltd", "The company name is on the block list")
    parents = companies("Open Ltd", "Closed Ltd", "Other Ltd")
    people = [
        Person.objects.create(company=parent, first_name=first, last_name="Lee")
        for parent in parents
        for first in ("Ann", "Bob")
    ]

    flush_all([ENTRY])

    creates = [
        [payload["Data"]["Type"] for name, payload in entry.body.items() if name != "Compatibility"]
        for entry in crm.request_log
        if entry.method == "Create"
    ]
    assert creates[:1] == [["Company"] * 3] and ["Contact"] * 4 in creates
    for parent, person in zip([p for p in parents for _ in (1, 2)], people, strict=True):
        row = entry_of(person)
        if parent.name == "Closed Ltd":
            assert (row.state, row.attempts) == (SyncState.PENDING, 0)  # waits for its parent
            continue
        assert row.state == SyncState.SYNCED
        assert crm.entries[str(row.octy_id)]["ParentKey"] == entry_of(parent).octy_id


def test_keys_of_an_older_session_are_renewed_for_the_rest_of_the_request(
    crm: FakeOctopus,
) -> None:
    """Keys are valid for the session that read them ("Field and Object Types / Key"; the
    fake refuses the others with ``session_keys``). A request stopped at a stale Key sends
    that entry alone with its current Key, then the rest with theirs, looked up at once,
    instead of stopping again at each one."""
    crm.state.session_keys = True
    made = companies(*(f"Shop {n}" for n in range(10)))
    flush_all([ENTRY])
    crm.expire_tokens()  # a new session: the cached Keys are refused from now on
    crm.request_log.clear()

    for company in made:
        company.name += " Ltd"
        company.save()
        Person.objects.create(company=company, last_name="Lee")
    summary = flush_all([ENTRY])

    assert (summary.of(ENTRY).updated, summary.of(ENTRY).created) == (10, 10)
    assert summary.of(ENTRY).failed == 0
    assert names_in_crm(crm)[-10:] == sorted(f"Shop {n} Ltd" for n in range(10))
    contacts = [e for e in crm.entries.values() if e["Type"] == "Contact"]
    assert len(contacts) == 10 and {e["ParentKey"] for e in contacts} == {
        str(entry_of(company).octy_id) for company in made
    }
    # updates: one request stopped, that entry alone twice (stale, then current Key), the
    # rest in one request; the contacts then name their parents by the Keys just issued
    assert (methods(crm).count("Update"), methods(crm).count("Create")) == (4, 1)


def test_contacts_naming_parents_by_keys_of_an_older_session_are_renewed_at_once(
    crm: FakeOctopus,
) -> None:
    """The same for the ``ParentKey`` of contacts created in a later session."""
    crm.state.session_keys = True
    made = companies(*(f"Shop {n}" for n in range(10)))
    flush_all([ENTRY])
    crm.expire_tokens()
    crm.request_log.clear()

    for company in made:
        Person.objects.create(company=company, last_name="Lee")
    summary = flush_all([ENTRY])

    assert (summary.of(ENTRY).created, summary.of(ENTRY).failed) == (10, 0)
    contacts = [e for e in crm.entries.values() if e["Type"] == "Contact"]
    assert sorted(e["ParentKey"] for e in contacts) == sorted(
        str(entry_of(company).octy_id) for company in made
    )
    # a request stopped at the first contact (looked up: not made), that contact alone
    # twice around its parent's Key looked up, then the others' parents' Keys in one Read
    # and the nine contacts in one request
    assert (methods(crm).count("Create"), methods(crm).count("Read")) == (4, 3)


def test_entries_of_one_request_with_the_same_fields_are_not_taken_for_one(
    crm: FakeOctopus,
) -> None:
    """Batch Queries: the payloads before a refused one are committed, and the answer
    (error only) does not say so; two of them with the same fields are looked up, each
    row gets an entry of its own (no entry left without its row)."""
    crm.reject_entry("CompanyName", "Bad Co", "CompanyName is not allowed")
    made = companies("Twin", "Twin", "Bad Co", "Four")

    flush_all([ENTRY])

    twins = [entry_of(company) for company in made[:2]]
    assert {row.state for row in twins} == {SyncState.SYNCED}
    assert twins[0].octy_id != twins[1].octy_id
    assert names_in_crm(crm) == ["Four", "Twin", "Twin"]
    assert {str(row.octy_id) for row in twins} < set(crm.entries)
