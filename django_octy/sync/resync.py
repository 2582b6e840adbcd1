"""Resync: push every registered host object and mirror row to its target again.

A resync has two steps. *Staging* re-reads the host objects of every
registered source (in primary-key order, ``chunk_size`` at a time) and marks
the mirror rows to push as pending; *pushing* is a
:func:`~django_octy.sync.flush.flush_all` of the chosen entities, batch by
batch. For Octy's entities the two overlap: the flush's :class:`StagingDrain`
stages each chunk and pushes its rows from memory while it stages the next
(:mod:`.staging`); other entities are staged before the flush. Memory stays
flat whatever the table sizes: no step holds more than one chunk of objects
and the batches in flight.

A resync is resumable. Its start time is kept in Django's cache until it
completes; a resync of the same selection started again after a crash skips
every row Octy confirmed since that time. (With the per-process local-memory
cache this only holds within one process: use a shared cache, or pass the
printed start time as ``since``.)

Rows that Octy cannot update (events, event types, segments) are pushed again
only if Octy never had them: re-sending an event would record it twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from .. import models as mirror_models
from ..conf import settings
from ..models import (
    MODEL_NAMES,
    OUTSTANDING_STATES,
    Entity,
    Operation,
    SyncedObject,
    SyncError,
    SyncState,
)
from ..signals import post_push, push_failed
from .claim import Claim, lease
from .concurrent import ConcurrentDrain
from .flush import Drain, DrainFactory, EntitySummary, FlushSummary, chunked, flush_all
from .handlers import Handler
from .pending import changed, due, outstanding, requeue_failed
from .recording import record_events, upsert_many
from .registry import registry
from .sources import EventSource, ObjectSource, Source
from .staging import stage_chunk
from .targets import Target, target_of
from .targets.octy import OctyTarget

UPDATABLE = frozenset({Entity.PROFILE, Entity.ITEM, Entity.TEMPLATE, Entity.OCTOPUS_ENTRY})
"""Entities their target can update in place: their synced rows are pushed again."""

MIRRORS: dict[Entity, type[SyncedObject]] = {
    entity: getattr(mirror_models, name) for entity, name in MODEL_NAMES.items()
}
ENTITIES: dict[type[SyncedObject], Entity] = {model: entity for entity, model in MIRRORS.items()}
"""The entity of each mirror model."""

Progress = Callable[[int], object]
"""Called with how many more objects were handled."""


@dataclass
class ResyncPlan:
    """What a resync covers, per entity: host objects to re-read and mirror rows to push."""

    host_objects: dict[str, int] = field(default_factory=dict)
    mirror_rows: dict[str, int] = field(default_factory=dict)


@dataclass
class ResyncSummary:
    """What a resync did: the flush's per-entity counts, timing and what is left."""

    flush: FlushSummary
    started_at: datetime
    resumed: bool
    seconds: float
    left_pending: int
    mapping_errors: int = 0
    last_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.flush.as_dict(),
            "started_at": self.started_at.isoformat(),
            "resumed": self.resumed,
            "seconds": round(self.seconds, 3),
            "left_pending": self.left_pending,
            "mapping_errors": self.mapping_errors,
            "last_error": self.last_error,
        }


def selected(entities: Iterable[Entity | str] | None) -> list[Entity]:
    """The chosen entities in flush order (all of them when none are named)."""
    wanted = {Entity(entity) for entity in entities} if entities else set(Entity)
    return [entity for entity in Entity if entity in wanted]


def checkpoint_key(entities: Sequence[Entity], since: datetime | None) -> str:
    names = ",".join(entities)
    return f"django_octy:resync:{names}:{since.isoformat() if since else 'all'}"


def sources_of(entity: Entity) -> list[Source[Any]]:
    return [source for source in registry.all() if source.entity == entity]


def pushable_again(rows: QuerySet[Any], entity: Entity) -> QuerySet[Any]:
    """The rows of ``rows`` that may be pushed again: not deleted, and, for entities Octy
    cannot update, only those Octy never had (or refused)."""
    rows = rows.exclude(state=SyncState.DELETED)
    if entity not in UPDATABLE:
        rows = rows.filter(Q(octy_id__isnull=True) | Q(state=SyncState.FAILED))
    return rows


def mark_for_push(rows: QuerySet[Any], entity: Entity) -> int:
    """Queue ``rows`` for a push now (failed ones get fresh attempts); returns how many
    are queued."""
    rows = pushable_again(rows, entity)
    # Rows already queued (perhaps waiting out a backoff) become due now, and count as queued.
    count = rows.filter(state__in=OUTSTANDING_STATES).update(next_attempt_at=None)
    count += requeue_failed(rows)
    count += rows.filter(state=SyncState.SYNCED).update(**changed())
    return count


def repushable(entity: Entity, since: datetime | None, started: datetime) -> QuerySet[Any]:
    """Rows of ``entity`` a resync pushes again: not outstanding already, not confirmed
    since ``started`` (a resumed run), and changed since ``since`` when given."""
    rows = MIRRORS[entity]._default_manager.exclude(state__in=OUTSTANDING_STATES)
    rows = pushable_again(rows.exclude(last_synced_at__gte=started), entity)
    return rows if since is None else rows.filter(updated_at__gte=since)


def host_objects(source: Source[Any]) -> QuerySet[Any]:
    objects: QuerySet[Any] = source.model._default_manager.order_by("pk")
    relation = customer_relation(source)
    return objects.select_related(relation) if relation else objects


def customer_relation(source: Source[Any]) -> str | None:
    """The foreign key an event source reads its customer through, if it names one.

    Loading it with the host objects saves one query per event while staging.
    """
    if not isinstance(source, EventSource):
        return None
    try:
        relation = source.model._meta.get_field(source.customer_field)
    except FieldDoesNotExist:
        return None
    forward = relation.many_to_one or relation.one_to_one
    return relation.name if relation.concrete and forward else None


def plan(
    entities: Iterable[Entity | str] | None = None, since: datetime | None = None
) -> ResyncPlan:
    """Count what a resync would re-read and push, without changing anything."""
    chosen = selected(entities)
    started = cache.get(checkpoint_key(chosen, since)) or timezone.now()
    result = ResyncPlan()
    for entity in chosen:
        if since is None:
            result.host_objects[entity] = sum(host_objects(s).count() for s in sources_of(entity))
        model = MIRRORS[entity]
        result.mirror_rows[entity] = (
            repushable(entity, since, started).count() + outstanding(model).count()
        )
    return result


def confirmed_since(
    source: Source[Any], chunk: Sequence[models.Model], started: datetime
) -> set[str]:
    """Keys (as text) of objects in ``chunk`` whose rows Octy confirmed since ``started``
    (none for events: those Octy has are never recorded again anyway)."""
    if not isinstance(source, ObjectSource):
        return set()
    content_type = ContentType.objects.get_for_model(source.model)
    rows = source.mirror._default_manager.filter(
        source_type=content_type,
        source_id__in=[str(obj.pk) for obj in chunk],
        last_synced_at__gte=started,
        state=SyncState.SYNCED,
    )
    return {str(key) for key in rows.values_list("source_id", flat=True)}


def host_chunks(source: Source[Any], chunk_size: int) -> Iterator[list[models.Model]]:
    """Every host object of ``source`` in primary-key order, ``chunk_size`` at a time, with
    what its mapping reads (``prefetch_related``).

    Each chunk is a query of its own, read to the end: no cursor stays open
    between chunks, which on SQLite would keep the pushes' write-backs from
    committing while the next chunk is staged.
    """
    objects = host_objects(source)
    chunk = list(objects[:chunk_size])
    while chunk:
        prefetch_related_objects(chunk, *source.prefetch_related)
        yield chunk
        chunk = (
            list(objects.filter(pk__gt=chunk[-1].pk)[:chunk_size])
            if len(chunk) == chunk_size
            else []
        )


def stage_source(
    source: Source[Any], started: datetime, chunk_size: int, progress: Progress
) -> None:
    """Re-read every host object of ``source``, a chunk at a time, into pending mirror rows."""
    for chunk in host_chunks(source, chunk_size):
        if isinstance(source, EventSource):
            record_events(source, chunk)
        elif isinstance(source, ObjectSource):
            done = confirmed_since(source, chunk, started)
            upsert_many(source, [obj for obj in chunk if str(obj.pk) not in done])
        progress(len(chunk))


def stage_mirror_rows(entity: Entity, since: datetime | None, started: datetime) -> int:
    """Mark the rows of ``entity`` to push again as pending, due now; returns how many."""
    model = MIRRORS[entity]
    outstanding(model).exclude(next_attempt_at=None).update(next_attempt_at=None)
    return mark_for_push(repushable(entity, since, started), entity)


def stage_sources(entity: Entity, started: datetime, chunk_size: int, progress: Progress) -> None:
    """Stage every source of ``entity`` into pending rows, for a flush to push later."""
    for source in sources_of(entity):
        stage_source(source, started, chunk_size, progress)


def to_push(entity: Entity, stages: Stages) -> int:
    """Rows of ``entity`` a resync is about to push: those outstanding, and one per host
    object it stages as it pushes."""
    rows = outstanding(MIRRORS[entity]).count()
    if entity in stages.entities:
        rows += sum(host_objects(source).count() for source in sources_of(entity))
    return rows


def drains(concurrency: int, stages: Stages | None = None) -> DrainFactory:
    """Octy's entities drain ``concurrency`` batches at a time, staging their host objects
    as they go when ``stages`` says so; Octopus entries one by one (a contact may name a
    company of the same entity, pushed in an earlier batch)."""

    def drain(target: Target, handler: Handler, summary: EntitySummary) -> Drain:
        if isinstance(target, OctyTarget) and stages and stages.wanted(handler.entity):
            return StagingDrain(target, handler, summary, concurrency, stages)
        if isinstance(target, OctyTarget) and concurrency > 1:
            return ConcurrentDrain(target, handler, summary, concurrency)
        return Drain(target, handler, summary)

    return drain


@dataclass
class Stages:
    """The entities whose host objects a resync stages while it pushes them, and those done."""

    entities: set[Entity]
    started: datetime
    chunk_size: int
    done: set[Entity] = field(default_factory=set)

    def wanted(self, entity: Entity) -> bool:
        return entity in self.entities and entity not in self.done


class StagingDrain(ConcurrentDrain):
    """Stages its entity's host objects a chunk at a time and pushes each chunk's rows as
    soon as a request may go, then drains what else is due.

    The rows a chunk wrote go to the push as staging left them in memory: the
    lease is stamped on them by one statement (the rows a live lease or a
    dependency holds are left to the flush) and nothing is read back. Staging
    the next chunk overlaps the requests in flight.
    """

    def __init__(
        self,
        target: Target,
        handler: Handler,
        summary: EntitySummary,
        in_flight: int,
        stages: Stages,
    ) -> None:
        super().__init__(target, handler, summary, in_flight)
        self.stages = stages

    def claims(self) -> Iterator[Claim[SyncedObject]]:
        limit = self.target.batch_size()
        for source in sources_of(self.handler.entity):
            if not isinstance(source, ObjectSource | EventSource):
                continue
            for chunk in host_chunks(source, self.stages.chunk_size):
                confirmed = confirmed_since(source, chunk, self.stages.started)
                rows = stage_chunk(source, chunk, confirmed, self.handler.select_related)
                for batch in chunked(rows, limit):
                    if not self.free_slot():
                        return
                    if claimed := self.lease_staged(batch):
                        yield claimed
        self.stages.done.add(self.handler.entity)
        yield from super().claims()

    def lease_staged(self, rows: list[SyncedObject]) -> Claim[SyncedObject] | None:
        """Lease the staged ``rows`` that are due (all of them, unless another flusher or a
        dependency holds some); the claim of those, as they are in memory."""
        model = self.handler.model
        candidates = due(model).filter(self.handler.scope, pk__in=[row.pk for row in rows])
        token, count, taken_at = lease(model, candidates, len(rows))
        if not count:
            return None
        if count < len(rows):
            ours = set(
                model._default_manager.filter(lease_token=token).values_list("pk", flat=True)
            )
            rows = [row for row in rows if row.pk in ours]
        for row in rows:  # as the lease stamped them
            row.create_sent = row.create_sent or (
                row.octy_id is None and row.state == SyncState.PENDING
            )
        prefetch_related_objects(rows, *self.handler.related())
        return Claim(token, rows, taken_at)


class PushProgress:
    """Counts pushed objects through the push signals (sent from the push threads), for a
    progress bar."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.last_error = ""
        self.lock = threading.Lock()

    def pushed(self, rows: Sequence[SyncedObject], **_: Any) -> None:
        with self.lock:
            self.progress(len(rows))

    def failed(self, rows: Sequence[SyncedObject], error: Exception, **_: Any) -> None:
        with self.lock:
            self.last_error = str(error)
            self.progress(len(rows))

    def __enter__(self) -> PushProgress:
        post_push.connect(self.pushed, dispatch_uid=f"resync-progress-{id(self)}")
        push_failed.connect(self.failed, dispatch_uid=f"resync-failed-{id(self)}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        post_push.disconnect(dispatch_uid=f"resync-progress-{id(self)}")
        push_failed.disconnect(dispatch_uid=f"resync-failed-{id(self)}")


def _ignore(count: int) -> None:
    pass


def resync(
    entities: Iterable[Entity | str] | None = None,
    since: datetime | None = None,
    chunk_size: int = 500,
    on_staged: Progress = _ignore,
    on_pushed: Progress = _ignore,
    on_push_start: Progress = _ignore,
    concurrency: int | None = None,
) -> ResyncSummary:
    """Stage, then push, every registered host object and mirror row of ``entities``.

    ``since`` limits the resync to mirror rows changed since then (host objects
    are not re-read: their changes reached the mirror rows when they were saved).
    ``on_staged`` and ``on_pushed`` report progress; ``on_push_start`` gets the
    number of rows about to be pushed. ``concurrency`` bounds the Octy batch
    requests in flight (``OCTY["RESYNC_CONCURRENCY"]`` when not given).
    """
    chosen = selected(entities)
    key = checkpoint_key(chosen, since)
    clock = time.monotonic()
    begun = timezone.now()
    previous = cache.get(key)
    started: datetime = previous or timezone.now()
    cache.set(key, started, timeout=None)
    # Octy's entities stage their host objects as they push them; the others first.
    stages = Stages(set(), started, chunk_size)
    for entity in chosen:
        on_staged(stage_mirror_rows(entity, since, started))
        if since is None and isinstance(target_of(entity), OctyTarget):
            stages.entities.add(entity)
        elif since is None:
            stage_sources(entity, started, chunk_size, on_staged)
    on_push_start(sum(to_push(entity, stages) for entity in chosen))
    with PushProgress(on_pushed) as pushes:
        drain = drains(concurrency or settings.RESYNC_CONCURRENCY, stages)
        summary = flush_all(chosen, drain)
    for entity in stages.entities - stages.done:  # not pushed (switched off, stopped): staged
        stage_sources(entity, started, chunk_size, on_staged)
    left = sum(outstanding(MIRRORS[entity]).count() for entity in chosen)
    if not (left or summary.stopped or summary.disabled):
        cache.delete(key)
    return ResyncSummary(
        flush=summary,
        started_at=started,
        resumed=previous is not None,
        seconds=time.monotonic() - clock,
        left_pending=left,
        mapping_errors=SyncError.objects.filter(
            operation=Operation.MAP, created_at__gte=begun, entity__in=chosen
        ).count(),
        last_error=pushes.last_error,
    )
