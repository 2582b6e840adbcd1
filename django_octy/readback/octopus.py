"""Pulling address-book entries from the Octopus CRM into the mirror.

:func:`pull_entries` reads the AbEntries matching a ``SearchQuery``, page by
page, and stores each as an :class:`~django_octy.models.OctopusEntry` known by
its stable identity (never by its Key, which changes between sessions). New
entries arrive synced, with nothing to push; a row with a local change not yet
pushed keeps its data. Contacts are linked to their parent when the parent is
in the mirror. The ``octopus_pull`` command and the ``pull_octopus`` task call it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..connection import get_octopus_client
from ..models import OctopusEntry, SyncState
from ..octopus import decode_key
from ..octopus.keys import stable_id_of
from ..sync.recording import batches
from ..sync.rows import write_rows
from .records import JSON, Stored

PAGE_SIZE = 100

IDENTITY_FIELDS = ("Key", "Type", "ParentKey")
"""Fields of an answer that say what the entry is, rather than hold its data."""

DEFAULT_FIELDS: dict[str, Any] = {
    **dict.fromkeys(IDENTITY_FIELDS, 1),
    **dict.fromkeys(("CompanyName", "FirstName", "LastName", "Email", "Phone"), 1),
}
"""``Scope.Fields`` read when the caller names none."""


@dataclass
class EntryPull:
    """What one pull did: entries fetched, rows created, refreshed and kept (local change)."""

    fetched: int = 0
    stored: Stored = field(default_factory=Stored)
    linked: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pull_entries(
    query: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    top: int | None = None,
) -> EntryPull:
    """Read the entries matching ``query`` (all of them when ``None``) into the mirror.

    ``fields`` is ``Scope.Fields`` (the default reads names, email and phone);
    the Key, Type and ParentKey are always read.
    """
    scope = {**(fields or DEFAULT_FIELDS), **dict.fromkeys(IDENTITY_FIELDS, 1)}
    summary = EntryPull()
    with get_octopus_client() as client:
        records = client.read_entries(scope, query, top=top, page_size=PAGE_SIZE)
        for page in batches(records, PAGE_SIZE):
            summary.fetched += len(page)
            summary.stored.add(store_entries(page))
            summary.linked += link_contacts(page)
    return summary


def entry_values(record: JSON) -> dict[str, Any]:
    """The mirror columns of an AbEntry as Octopus answered it (the parent aside)."""
    data = {name: value for name, value in record.items() if name not in IDENTITY_FIELDS}
    entry_type = record.get("Type") or decode_key(str(record["Key"])).type
    return {"entry_type": entry_type, "data": data}


@transaction.atomic
def store_entries(records: Sequence[JSON]) -> Stored:
    """Create or refresh the rows of ``records`` (one page), locked while they are written."""
    by_identity = {key: r for r in records if (key := stable_id_of(r.get("Key")))}
    existing = OctopusEntry.objects.select_for_update().filter(octy_id__in=by_identity)
    rows = {row.octy_id: row for row in existing.order_by("pk")}
    now = timezone.now()
    new, refreshed = [], []
    for identity, record in by_identity.items():
        row = rows.get(identity)
        if row is None:
            new.append(
                OctopusEntry(
                    **entry_values(record),
                    octy_id=identity,
                    remote=record,
                    state=SyncState.SYNCED,
                    synced_version=1,
                    last_synced_at=now,
                )
            )
        elif row.state == SyncState.SYNCED:
            row.data = entry_values(record)["data"]
            row.remote, row.last_synced_at = record, now
            refreshed.append(row)
    OctopusEntry.objects.bulk_create(new, ignore_conflicts=True)
    write_rows(refreshed, ("data", "remote", "last_synced_at"))
    return Stored(len(new), len(refreshed), len(by_identity) - len(new) - len(refreshed))


def link_contacts(records: Sequence[JSON]) -> int:
    """Point the rows of the contacts in ``records`` at their parents' rows, where known."""
    parents = {stable_id_of(r.get("Key")): stable_id_of(r.get("ParentKey")) for r in records}
    wanted = {child: parent for child, parent in parents.items() if child and parent}
    known = dict(
        OctopusEntry.objects.filter(octy_id__in=set(wanted.values())).values_list("octy_id", "pk")
    )
    contacts = OctopusEntry.objects.filter(octy_id__in=wanted, parent__isnull=True)
    linked = []
    for row in contacts:
        parent_id = known.get(wanted[str(row.octy_id)])
        if parent_id is not None:
            row.parent_id = parent_id
            linked.append(row)
    write_rows(linked, ("parent",))
    return len(linked)
