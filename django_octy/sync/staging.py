"""Staging a chunk of host objects for a resync, keeping the rows it wrote in memory.

A resync pushes what it stages at once (:class:`~django_octy.sync.resync.StagingDrain`):
the rows written here go to the push as they are, without being read back.
So each function returns the rows of the chunk it staged, pending and due,
exactly as the database holds them (primary key, values and bookkeeping);
rows it could not stage that way (a natural key another row holds, an event
recorded meanwhile) are staged as a save would and left to the ordinary flush.

What a save would do still holds: an object that does not map gets its
:class:`~django_octy.models.SyncError` naming the object and field, an object
``should_sync`` refuses is deleted from Octy, and an event recorded before is
never recorded (or pushed) again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction

from ..models import Event, SyncedObject, SyncState
from .pending import changed
from .recording import (
    Mapped,
    event_rows,
    mapped_events,
    mapped_objects,
    record_events,
    upsert,
)
from .rows import insert_rows, write_rows
from .sources import EventSource, ObjectSource

M = TypeVar("M", bound=SyncedObject)

EVENT_COLUMNS = (
    "profile",
    "event_type",
    "event_properties",
    "occurred_at",
    "dedupe_key",
    "source_id",
)
"""The columns of staged events that differ from event to event."""


def stage_objects(
    source: ObjectSource[Any], chunk: Sequence[models.Model], related: tuple[str, ...] = ()
) -> list[SyncedObject]:
    """Write the mirror rows of ``chunk`` as pending; returns them (``related`` loaded on
    the rows that existed)."""
    mapped = mapped_objects(source, chunk)
    if not mapped:
        return []
    content_type = ContentType.objects.get_for_model(source.model)
    manager = source.mirror._default_manager
    existing = {
        str(row.source_id): row
        for row in manager.filter(source_type=content_type, source_id__in=mapped).select_related(
            *related
        )
    }
    rows = update_existing(source, mapped, existing)
    new = {key: value for key, value in mapped.items() if key not in existing}
    return rows + insert_new(source, content_type, new)


def update_existing(
    source: ObjectSource[Any], mapped: Mapped, existing: dict[str, SyncedObject]
) -> list[SyncedObject]:
    """Give the rows of ``existing`` their new values, as a change (one transaction)."""
    rows = []
    for key, row in existing.items():
        for name, value in mapped[key][1].items():
            setattr(row, name, value)
        row.state, row.deletion_requested, row.attempts = SyncState.PENDING, False, 0
        row.version += 1
        rows.append(row)
    if rows:
        with transaction.atomic():
            write_rows(rows, list(next(iter(mapped.values()))[1]))
            fresh = changed()
            source.mirror._default_manager.filter(pk__in=[row.pk for row in rows]).update(**fresh)
        for row in rows:
            row.updated_at = fresh["updated_at"]
    return rows


def insert_new(
    source: ObjectSource[Any], content_type: ContentType, new: Mapped
) -> list[SyncedObject]:
    """Insert the rows of ``new``; if a natural key is taken, each object is recorded as a
    save would, and none is returned."""
    if not new:
        return []
    mirror = source.mirror
    rows = [mirror(source_type=content_type, source_id=key, **v) for key, (_, v) in new.items()]
    varying = {"source_id", *next(iter(new.values()))[1]}
    try:
        with transaction.atomic():
            insert_rows(rows, varying)
    except IntegrityError:
        for obj, values in new.values():
            upsert(source, obj, values)
        return []
    return with_primary_keys(rows, "source_id", source_type=content_type)


def with_primary_keys(rows: list[M], key: str, **among: Any) -> list[M]:
    """``rows``, just inserted, with their primary keys, read by ``key`` (unique ``among``
    the rows matching those filters)."""
    by_key = {getattr(row, key): row for row in rows}
    found = type(rows[0])._default_manager.filter(**among, **{f"{key}__in": list(by_key)})
    for value, pk in found.values_list(key, "pk"):
        by_key[value].pk = pk
    for row in rows:
        row._state.adding = False
    return rows


def stage_events(source: EventSource[Any], chunk: Sequence[models.Model]) -> list[Event]:
    """Record the events of ``chunk`` that were never recorded; returns those rows.

    An event whose key is taken meanwhile (a save of its object) fails the
    insert: the chunk is then recorded as a save would, and left to the flush.
    """
    mapped = mapped_events(source, chunk)
    keys = [event.dedupe_key for _, events in mapped for event in events]
    recorded = set(Event.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    rows = event_rows(source, mapped, recorded)
    if not rows:
        return []
    try:
        with transaction.atomic():
            insert_rows(rows, EVENT_COLUMNS)
    except IntegrityError:
        record_events(source, [obj for obj, _ in mapped])
        return []
    return with_primary_keys(rows, "dedupe_key")


def stage_chunk(
    source: ObjectSource[Any] | EventSource[Any],
    chunk: Sequence[models.Model],
    confirmed: set[str],
    related: tuple[str, ...] = (),
) -> list[SyncedObject]:
    """Stage ``chunk`` but the objects whose keys are in ``confirmed`` (Octy has them since
    the resync began); returns the rows staged."""
    if isinstance(source, EventSource):
        return [*stage_events(source, chunk)]
    return stage_objects(source, [obj for obj in chunk if str(obj.pk) not in confirmed], related)
