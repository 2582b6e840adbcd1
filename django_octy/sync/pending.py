"""What is pending: the one place that decides which mirror rows still need a push.

A row needs a push while its state is pending or delete pending. It is *due*
when, on top of that, its backoff has passed and nobody holds a live lease on
it, and what it depends on in its target exists (:mod:`.waiting`: an event
waits for its profile and its declared event type, an Octopus contact for its
company or individual).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, F, Min, Q, QuerySet, Value, When
from django.db.models.functions import Now
from django.utils import timezone

from ..models import (
    OUTSTANDING_STATES,
    Entity,
    Event,
    EventType,
    HostChange,
    Item,
    MessageTemplate,
    OctopusEntry,
    Profile,
    Segment,
    SyncedObject,
    SyncState,
)
from .registry import registry
from .scheduling import request_flush
from .waiting import not_blocked

M = TypeVar("M", bound=SyncedObject)

MIRROR_MODELS: tuple[type[SyncedObject], ...] = (
    EventType,
    Profile,
    Item,
    Event,
    Segment,
    MessageTemplate,
    OctopusEntry,
)


def changed(state: SyncState = SyncState.PENDING) -> dict[str, Any]:
    """``update()`` arguments that record a new local change of a row.

    ``state`` is pending for new data, delete pending for a removal, failed
    for a change that could not be mapped.
    """
    return {
        "state": state,
        "deletion_requested": state == SyncState.DELETE_PENDING,
        "version": F("version") + 1,
        "attempts": 0,
        "updated_at": timezone.now(),
    }


def pushed_again() -> dict[str, Any]:
    """``update()`` arguments that make a row due again with what it holds now.

    A new version, so that a push in flight with the current one cannot mark it
    done: the row's latest data is pushed after every push before it.
    """
    return {
        "state": Case(
            When(deletion_requested=True, then=Value(SyncState.DELETE_PENDING)),
            default=Value(SyncState.PENDING),
        ),
        "version": F("version") + 1,
        "attempts": 0,
        "next_attempt_at": None,
        "updated_at": timezone.now(),
    }


def requeue_failed(queryset: QuerySet[M]) -> int:
    """Give the failed rows of ``queryset`` a fresh set of attempts; returns how many.

    A row whose failed change was a removal is queued for deletion again.
    """
    failed = queryset.filter(state=SyncState.FAILED)
    fresh = {"attempts": 0, "next_attempt_at": None, "updated_at": timezone.now()}
    count = failed.filter(deletion_requested=True).update(state=SyncState.DELETE_PENDING, **fresh)
    count += failed.update(state=SyncState.PENDING, **fresh)
    if count:
        request_flush()
    return count


def waiting_changes(entity: Entity | None = None) -> QuerySet[HostChange]:
    """Changes in the log that no flush has mapped into mirror rows yet (:mod:`.folding`);
    with ``entity``, only those of the models a source of that entity maps.

    Until one does, their mirror rows do not show them: whatever counts what is
    left to push counts these too.
    """
    changes = HostChange.objects.all()
    if entity is None:
        return changes
    models = {source.model for source in registry.all() if source.entity == entity}
    types = ContentType.objects.get_for_models(*models, for_concrete_models=False)
    return changes.filter(content_type__in=types.values())


def oldest_waiting_change() -> datetime | None:
    """When the oldest change waiting to be mapped was saved; ``None`` if none waits."""
    oldest: datetime | None = waiting_changes().aggregate(at=Min("recorded_at"))["at"]
    return oldest


def left_to_push() -> dict[str, int]:
    """What a push has yet to do, where it is not zero: the changes waiting to be mapped
    (under ``"HostChange"``) and the outstanding rows of each mirror model, by model name.

    The count behind a progress bar or a report; :func:`nothing_to_push` answers sooner.
    """
    counts = {HostChange.__name__: waiting_changes().count()}
    counts |= {model.__name__: outstanding(model).count() for model in MIRROR_MODELS}
    return {name: count for name, count in counts.items() if count}


def nothing_to_push(models: Iterable[type[SyncedObject]] = MIRROR_MODELS) -> bool:
    """Whether every change has reached its target or been given up on: none waits to be
    mapped, no row of ``models`` is outstanding. What a loop waiting for a push to end asks."""
    return not waiting_changes().exists() and not any(
        outstanding(model).exists() for model in models
    )


def outstanding(model: type[M]) -> QuerySet[M]:
    """Rows with a change Octy has not confirmed yet, due or not."""
    return model._default_manager.filter(state__in=OUTSTANDING_STATES)


def due(model: type[M], now: datetime | None = None) -> QuerySet[M]:
    """Rows a flusher may claim now, in id order.

    Leases are judged by the database's clock (claims stamp them with it);
    backoffs by ``now``.
    """
    now = now or timezone.now()
    return (
        outstanding(model)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=Now()))
        .filter(not_blocked(model))
        .order_by("pk")
    )


def pushed_models() -> list[type[SyncedObject]]:
    """The mirror models a flush pushes now: those of the targets that are switched on."""
    from .targets import enabled_models  # the targets' modules import this one

    return enabled_models()


def has_due_rows(now: datetime | None = None) -> bool:
    """Whether a flush has work now: changes in the log to fold, or a mirror row to claim
    (rows of targets switched off wait)."""
    now = now or timezone.now()
    if waiting_changes().exists():
        return True
    return any(due(model, now).exists() for model in pushed_models())


def seconds_until_due(now: datetime | None = None) -> float | None:
    """Seconds until the next row is due (0: one is due now); ``None`` if nothing waits.

    Rows held by a live lease or waiting for a dependency do not count.
    """
    now = now or timezone.now()
    return 0.0 if has_due_rows(now) else seconds_until_retry(now)


def seconds_until_retry(now: datetime | None = None) -> float | None:
    """Seconds until the first row in backoff may be tried again; ``None`` if none is."""
    now = now or timezone.now()
    waits = [
        outstanding(model)
        .filter(next_attempt_at__gt=now)
        .aggregate(at=Min("next_attempt_at"))["at"]
        for model in pushed_models()
    ]
    earliest = min((at for at in waits if at is not None), default=None)
    return None if earliest is None else (earliest - now).total_seconds()
