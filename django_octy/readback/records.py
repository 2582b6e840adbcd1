"""Storing Octy's records in the mirror: one page at a time, never as a local change.

Rows are written with plain ``UPDATE``s and ``bulk_create``, so nothing read
back is queued to be pushed again. A row with a local change Octy has not
confirmed yet (pending, failed) keeps its data: the local change wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..client import OctyClient
from ..models import SyncedObject, SyncState
from ..sync.rows import write_rows

JSON = dict[str, Any]


@dataclass
class Stored:
    """What storing one page did."""

    created: int = 0
    updated: int = 0
    skipped: int = 0

    def add(self, other: Stored) -> None:
        self.created += other.created
        self.updated += other.updated
        self.skipped += other.skipped


@dataclass(frozen=True)
class RemoteKind:
    """How one kind of Octy object is listed and matched to its mirror rows.

    ``fields`` are the mirror columns copied from Octy's record into rows
    without a local change; ``computed`` gives the columns Octy computes,
    written into every row (they are never pushed). ``fetch`` lists the
    records (``ids``: Octy ids, or ``None`` for all of them).
    """

    model: type[SyncedObject]
    natural_key: str
    remote_id: str
    fields: tuple[str, ...]
    fetch: Callable[[OctyClient, list[str] | None], Iterable[JSON]]
    computed: Callable[[JSON], JSON] | None = None
    computed_fields: tuple[str, ...] = ()

    def values(self, record: JSON) -> JSON:
        """The mirror columns in ``record`` (a missing or null value leaves the column alone)."""
        return {name: record[name] for name in self.fields if record.get(name) is not None}

    @transaction.atomic
    def store(self, records: Sequence[JSON]) -> Stored:
        """Create or refresh the mirror rows of ``records`` (one page).

        The rows are locked while they are written, so that a local change
        saved meanwhile waits, and is not overwritten with Octy's older data.
        """
        records = [r for r in records if r.get(self.remote_id) and r.get(self.natural_key)]
        manager = self.model._default_manager
        octy_ids = [str(r[self.remote_id]) for r in records]
        keys = [str(r[self.natural_key]) for r in records]
        matching = Q(octy_id__in=octy_ids) | Q(**{f"{self.natural_key}__in": keys})
        existing = list(manager.select_for_update().filter(matching).order_by("pk"))
        by_octy_id = {row.octy_id: row for row in existing if row.octy_id in octy_ids}
        by_key = {str(getattr(row, self.natural_key)): row for row in existing}
        now = timezone.now()
        stored = Stored()
        new, refreshed, computed_only = [], [], []
        for record in records:
            octy_id = str(record[self.remote_id])
            row = by_octy_id.get(octy_id) or by_key.get(str(record[self.natural_key]))
            if row is None:
                new.append(self.new_row(record, octy_id, now))
                continue
            self.set_computed(row, record)
            if row.state == SyncState.SYNCED:
                for name, value in self.values(record).items():
                    setattr(row, name, value)
                row.octy_id, row.remote, row.last_synced_at = octy_id, record, now
                refreshed.append(row)
            else:
                computed_only.append(row)
        manager.bulk_create(new, ignore_conflicts=True)
        computed = self.computed_fields
        write_rows(refreshed, (*self.fields, *computed, "octy_id", "remote", "last_synced_at"))
        if computed:
            write_rows(computed_only, computed)
        stored.created, stored.updated = len(new), len(refreshed)
        stored.skipped = len(computed_only)
        return stored

    def set_computed(self, row: SyncedObject, record: JSON) -> None:
        for name, value in (self.computed(record) if self.computed else {}).items():
            setattr(row, name, value)

    def new_row(self, record: JSON, octy_id: str, now: Any) -> SyncedObject:
        """A row for an object that exists only in Octy: already synced, nothing to push."""
        return self.model(
            **{self.natural_key: str(record[self.natural_key])},
            **self.values(record),
            **(self.computed(record) if self.computed else {}),
            octy_id=octy_id,
            remote=record,
            state=SyncState.SYNCED,
            synced_version=1,
            last_synced_at=now,
        )
