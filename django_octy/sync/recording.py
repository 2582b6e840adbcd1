"""Recording changes: in the change log at save time, into mirror rows at flush time.

A save of a registered host object writes one narrow
:class:`~django_octy.models.HostChange` row, in the host's transaction
(:func:`log_changes`); the flush folds the log (:mod:`.folding`): it maps each
object as it is then into its mirror rows, which become pending. A deletion
is recorded on the mirror row at once, since the host row will be gone.

Mapping never fails the transaction it runs in: a mapping that raises or
yields an invalid value marks the mirror row failed and writes a
:class:`~django_octy.models.SyncError` naming the object and the field.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from ..models import (
    Entity,
    Event,
    EventType,
    HostChange,
    Operation,
    Profile,
    SyncedObject,
    SyncError,
    SyncState,
)
from .pending import changed
from .registry import registry
from .rows import insert_rows, write_rows
from .scheduling import request_flush
from .sources import EventSource, MappedEvent, MappingError, ObjectSource, Source, describe

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500
"""Keys logged per ``INSERT`` by :func:`mark_dirty`, host objects read per query by the
reconcile."""

T = TypeVar("T")


def source_ref(obj: models.Model) -> dict[str, Any]:
    """The columns that link a mirror row to ``obj``."""
    return {"source_type": ContentType.objects.get_for_model(obj), "source_id": str(obj.pk)}


# The change log: what a save costs.


def log_change(obj: models.Model) -> None:
    """Record that ``obj`` changed: one row in the change log, folded at the next flush."""
    log_changes(type(obj), [obj.pk])


def log_changes(model: type[models.Model], keys: Iterable[Any]) -> int:
    """Record that the objects of ``model`` with these primary keys changed; returns how many.

    One ``INSERT`` per :data:`CHUNK_SIZE` keys, in the open transaction: no
    model instances, no read.
    """
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    connection = connections[router.db_for_write(HostChange)]
    count = 0
    for chunk in batches(keys, CHUNK_SIZE):
        sql, params = insert_changes(connection, content_type.pk, [str(key) for key in chunk])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        count += len(chunk)
    if count:
        request_flush()
    return count


def insert_changes(
    connection: BaseDatabaseWrapper, content_type: int, keys: list[str]
) -> tuple[str, list[Any]]:
    """The statement that logs ``keys``: a multi-row ``VALUES``, but for many keys on
    PostgreSQL, which takes them as one array parameter (parsing a thousand
    parameters costs more than writing the rows; for one key the array costs more)."""
    quote = connection.ops.quote_name
    into = (
        f"INSERT INTO {quote(HostChange._meta.db_table)} "
        f"({quote('content_type_id')}, {quote('object_id')}) "
    )
    if connection.vendor == "postgresql" and len(keys) > 1:
        return into + "SELECT %s, UNNEST(%s::varchar[])", [content_type, keys]
    rows = ", ".join(["(%s, %s)"] * len(keys))
    return into + f"VALUES {rows}", [value for key in keys for value in (content_type, key)]


# One host object at a time, mapped now.


def record_save(source: Source[Any], obj: models.Model) -> None:
    """Map ``obj`` now: its mirror row (or events) become pending.

    Like the other mapping functions, it schedules no flush: its callers run in
    a flush, or schedule one themselves.
    """
    if isinstance(source, EventSource):
        record_events(source, [obj])
    elif isinstance(source, ObjectSource):
        try:
            if not source.should_sync(obj):
                record_delete(source, obj)
                return
            values = source.map(obj)
        except MappingError as error:
            record_mapping_error(source, obj, error)
            return
        upsert(source, obj, values)


def upsert(source: ObjectSource[Any], obj: models.Model, values: dict[str, Any]) -> None:
    """Update the mirror row of ``obj`` (one UPDATE), or insert it."""
    manager = source.mirror._default_manager
    ref = source_ref(obj)
    if manager.filter(**ref).update(**values, **changed()):
        return
    try:
        with transaction.atomic():
            # One INSERT: a new row needs none of the bookkeeping of the mirror's save().
            manager.bulk_create([source.mirror(**ref, **values)])
        return
    except IntegrityError:
        pass
    # Another flusher folding a change of the same object inserted its row
    # meanwhile (its commit made this insert conflict): update that row.
    if manager.filter(**ref).update(**values, **changed()):
        return
    # The natural key is taken: by a row made without a source (adopt it), or
    # by another host object (a mapping error).
    key = source.natural_key
    adopted = manager.filter(source_type__isnull=True, **{key: values[key]})
    if not adopted.update(**ref, **values, **changed()):
        problem = f"{values[key]!r} is already the {key} of another object"
        record_mapping_error(source, obj, MappingError(obj, key, problem))


def record_delete(source: Source[Any], obj: models.Model) -> None:
    """Record that ``obj`` is gone: remove it from Octy (rows Octy never had just go).

    A row goes only if no create of it was ever sent. The condition is checked
    by the one statement that marks the row for deletion, which a claim of the
    row cannot slip between (it waits on the row's lock, or skips the row);
    a row a claim took first is deleted from the target instead.
    """
    if not isinstance(source, ObjectSource):
        return  # events are append-only
    manager = source.mirror._default_manager
    rows = manager.filter(**source_ref(obj))
    doomed = uuid.uuid4()
    with transaction.atomic():
        never_sent = rows.filter(octy_id__isnull=True, create_sent=False)
        if never_sent.update(lease_token=doomed):
            manager.filter(lease_token=doomed).delete()
        if rows.update(**changed(SyncState.DELETE_PENDING)):
            request_flush()


def record_mapping_error(source: Source[Any], obj: models.Model, error: MappingError) -> None:
    """Mark the mirror row of ``obj`` failed, if it has one, and log the error.

    Events recorded earlier by the object are left alone: they were mapped fine.
    """
    logger.warning("Could not map %s for Octy: %s", error.object_label, error)
    row_id = None
    if isinstance(source, ObjectSource):
        rows = source.mirror._default_manager.filter(**source_ref(obj))
        row_id = rows.values_list("pk", flat=True).first()
        if row_id is not None:
            # Recorded, as failed: the reconcile need not map this change again.
            rows.update(
                **changed(SyncState.FAILED),
                last_error=str(error),
                source_modified_at=source.modified_at(obj),
            )
    SyncError.objects.create(
        entity=source.entity,
        row_id=row_id,
        identifier=error.object_label,
        operation=Operation.MAP,
        reason=str(error),
        messages=[str(error)],
    )


def record_mirror_save(row: SyncedObject, created: bool) -> None:
    """A mirror row was saved directly: a new row is pending already, a changed one becomes so."""
    if not created:
        type(row)._default_manager.filter(pk=row.pk).update(**changed())
    request_flush()


# Events.


def profile_for_customer_id(customer_id: str) -> int:
    """The profile row of a customer_id, made (pending) if there is none."""
    profile, created = Profile.objects.get_or_create(customer_id=customer_id)
    if created:
        request_flush()
    return profile.pk


def profile_source(model: type[models.Model]) -> ObjectSource[Any] | None:
    """The source that makes ``model``'s instances profiles, if it has one."""
    source = registry.source_for(model, Entity.PROFILE)
    return source if isinstance(source, ObjectSource) else None


def profile_of_host_object(customer: models.Model, owner: models.Model) -> int:
    """The profile row of a host object registered with a ProfileSource, made if needed.

    Errors name ``owner``, the object whose events need the profile.
    """
    source = profile_source(type(customer))
    return mirror_row_of(customer, source, owner, "customer", "a ProfileSource")


def mirror_row_of(
    host: models.Model,
    source: Source[Any] | None,
    owner: models.Model,
    field_name: str,
    expected: str,
) -> int:
    """The mirror row of ``host`` (mapped by ``source``), recorded first if it has none.

    For an object that needs another's row (an event its customer's profile, a
    contact its company's entry): errors name ``owner`` and its ``field_name``,
    and ``expected``, the kind of source ``host`` should be registered with.
    """
    if not isinstance(source, ObjectSource):
        problem = f"{host._meta.label} is not registered with {expected}"
        raise MappingError(owner, field_name, problem)
    rows = source.mirror._default_manager.filter(**source_ref(host)).values_list("pk", flat=True)
    row_id: int | None = rows.first()
    if row_id is None:
        record_save(source, host)
        row_id = rows.first()
    if row_id is None:
        label = source.mirror._meta.verbose_name
        raise MappingError(owner, field_name, f"{describe(host)} has no {label}: see its error")
    return row_id


CustomerKey = tuple[type[models.Model], Any]
"""A host-object customer: its model and primary key."""


class ProfileResolver:
    """Finds the profile row of each event's customer, once per customer."""

    def __init__(self) -> None:
        self.known: dict[CustomerKey, int] = {}

    def prefetch(self, customers: Iterable[models.Model | str | None]) -> None:
        """Look up the profile rows of many host-object customers, one query per model.

        Customers without a row yet are left to :meth:`profile_id`, which makes them.
        """
        wanted: dict[type[models.Model], dict[str, CustomerKey]] = defaultdict(dict)
        for customer in customers:
            if not isinstance(customer, models.Model) or isinstance(customer, Profile):
                continue
            key = (type(customer), customer.pk)
            if key not in self.known and profile_source(type(customer)) is not None:
                wanted[type(customer)][str(customer.pk)] = key
        for model, keys in wanted.items():
            rows = Profile.objects.filter(
                source_type=ContentType.objects.get_for_model(model), source_id__in=keys
            ).values_list("source_id", "pk")
            self.known.update({keys[str(source_id)]: pk for source_id, pk in rows})

    def profile_id(self, owner: models.Model, customer: models.Model | str | None) -> int:
        if isinstance(customer, Profile):
            return customer.pk
        if isinstance(customer, str):
            return profile_for_customer_id(customer)
        if customer is None:
            raise MappingError(owner, "customer", "the event has no customer")
        key = (type(customer), customer.pk)
        if key not in self.known:
            self.known[key] = profile_of_host_object(customer, owner)
        return self.known[key]


def mapped_events(
    source: EventSource[Any], objs: Iterable[models.Model]
) -> list[tuple[models.Model, list[MappedEvent]]]:
    """The events of each object that maps; the others get a mapping error."""
    mapped = []
    for obj in objs:
        try:
            mapped.append((obj, source.map_events(obj)))
        except MappingError as error:
            record_mapping_error(source, obj, error)
    return mapped


def event_rows(
    source: EventSource[Any],
    mapped: list[tuple[models.Model, list[MappedEvent]]],
    recorded: Container[str | None] = frozenset(),
) -> list[Event]:
    """The event rows of mapped objects, but those whose de-duplication key is in
    ``recorded``; an object whose customer has no profile row gets a mapping error."""
    resolver = ProfileResolver()
    resolver.prefetch(event.customer for _, events in mapped for event in events)
    rows = []
    for obj, events in mapped:
        ref = source_ref(obj)
        try:
            rows += [
                Event(
                    profile_id=resolver.profile_id(obj, event.customer),
                    event_type=event.event_type,
                    event_properties=event.event_properties,
                    occurred_at=event.occurred_at,
                    dedupe_key=event.dedupe_key,
                    **ref,
                )
                for event in events
                if event.dedupe_key not in recorded
            ]
        except MappingError as error:
            record_mapping_error(source, obj, error)
    return rows


def record_events(source: EventSource[Any], objs: Iterable[models.Model]) -> None:
    """Record the events of ``objs``; events recorded before are not recorded again."""
    rows = event_rows(source, mapped_events(source, objs))
    if rows:
        Event.objects.bulk_create(rows, ignore_conflicts=True)


def track(
    customer: models.Model | str,
    event_type: str,
    properties: dict[str, Any] | None = None,
    created_at: datetime | None = None,
    key: str | None = None,
) -> Event:
    """Record one event of ``customer`` (a registered host object, a Profile or a customer_id).

    With ``key``, tracking the same key again records nothing new and returns
    the event recorded first.
    """
    if not event_type:
        raise ValueError("track(): 'event_type' must be a non-empty string.")
    if properties is not None and not isinstance(properties, dict):
        raise ValueError(f"track(): 'properties' must be a dict, got {type(properties).__name__}.")
    fields = {
        "event_type": event_type,
        "event_properties": properties or {},
        "occurred_at": created_at or timezone.now(),
    }
    if isinstance(customer, Profile):
        fields["profile_id"] = customer.pk
    elif isinstance(customer, str):
        fields["profile_id"] = profile_for_customer_id(customer)
    else:
        try:
            fields["profile_id"] = profile_of_host_object(customer, customer)
        except MappingError as error:
            raise ValueError(f"track(): {error}") from error
    if key is None:
        event = Event.objects.create(**fields)
    else:
        event = Event.objects.get_or_create(dedupe_key=f"track:{key}", defaults=fields)[0]
    request_flush()
    return event


def declare_event_types() -> None:
    """Make sure an EventType row exists for each event type a source declares."""
    declared = [
        EventType(event_type=source.event_type, event_properties=list(source.event_properties))
        for source in registry.all()
        if isinstance(source, EventSource) and source.event_properties is not None
    ]
    if declared:
        EventType.objects.bulk_create(declared, ignore_conflicts=True)


# Many host objects at a time.


def batches(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def mark_dirty(objects: models.QuerySet[Any] | Iterable[models.Model]) -> int:
    """Record host objects (or mirror rows) as changed, for paths that skip signals.

    ``QuerySet.update()``, ``bulk_create()``, ``bulk_update()`` and raw SQL do
    not send ``post_save``; call this afterwards, with a queryset or instances.
    Host objects go into the change log (one multi-row ``INSERT`` per 500, a
    queryset's keys read without making instances); mirror rows become pending.
    Returns how many objects were recorded.
    """
    if isinstance(objects, models.QuerySet):
        keys = objects.order_by().values_list("pk", flat=True).iterator(chunk_size=CHUNK_SIZE)
        return mark_keys_dirty(objects.model, keys)
    by_model: dict[type[models.Model], list[Any]] = defaultdict(list)
    for obj in objects:
        by_model[type(obj)].append(obj.pk)
    return sum(mark_keys_dirty(model, keys) for model, keys in by_model.items())


def mark_keys_dirty(model: type[models.Model], keys: Iterable[Any]) -> int:
    if issubclass(model, SyncedObject):
        count = 0
        for chunk in batches(keys, CHUNK_SIZE):
            count += model._default_manager.filter(pk__in=chunk).update(**changed())
        if count:
            request_flush()
        return count
    if not registry.sources_for(model):
        raise ValueError(
            f"{model._meta.label} is neither registered as an Octy source nor a mirror."
        )
    return log_changes(model, keys)


Mapped = dict[str, tuple[models.Model, dict[str, Any]]]
"""Mapped host objects by primary key (as text): the object and its mirror values."""


def mapped_objects(source: ObjectSource[Any], chunk: Sequence[models.Model]) -> Mapped:
    """The mirror values of each object of ``chunk`` that syncs; the others are recorded as
    a save would (removed from Octy, or a mapping error)."""
    mapped: Mapped = {}
    for obj in chunk:
        try:
            if source.should_sync(obj):
                mapped[str(obj.pk)] = (obj, source.map(obj))
            else:
                record_delete(source, obj)
        except MappingError as error:
            record_mapping_error(source, obj, error)
    return mapped


def upsert_many(source: ObjectSource[Any], objs: Sequence[models.Model]) -> None:
    """:func:`upsert` for many host objects of one model, in a few queries."""
    mapped = mapped_objects(source, objs)
    if not mapped:
        return
    mirror = source.mirror
    manager = mirror._default_manager
    content_type = ContentType.objects.get_for_model(source.model)
    existing = dict(
        manager.filter(source_type=content_type, source_id__in=mapped).values_list(
            "source_id", "pk"
        )
    )
    updated = []
    for key in mapped.keys() & existing.keys():
        row = mirror(**mapped[key][1])
        row.pk = existing[key]
        updated.append(row)
    if updated:
        # One transaction, so that new values are never left without their pending mark
        # (and SQLite commits once, not once per row).
        with transaction.atomic():
            write_rows(updated, list(next(iter(mapped.values()))[1]))
            manager.filter(pk__in=[row.pk for row in updated]).update(**changed())
    new = {key: value for key, value in mapped.items() if key not in existing}
    rows = [mirror(source_type=content_type, source_id=key, **v) for key, (_, v) in new.items()]
    try:
        with transaction.atomic():
            insert_rows(rows, {"source_id", *next(iter(mapped.values()))[1]})
    except IntegrityError:  # a natural key is taken: sort it out object by object
        for obj, values in new.values():
            upsert(source, obj, values)
