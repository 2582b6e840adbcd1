"""Changing an event type or segment that Octy already has: delete it, then create it again.

Octy cannot update either. :func:`save_definition` saves the new definition
and, when the old one is in Octy, queues its deletion in the same
transaction; when the flush confirms the deletion, :func:`recreate` (a
``post_push`` receiver) queues the row for creation. Events of a replaced
event type wait until it exists again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from ..models import Entity, EventType, Operation, Replacement, Segment, SyncedObject, SyncState
from ..signals import post_push
from ..sync.outcomes import Outcome, Synced
from ..sync.pending import changed

REPLACED_ON_CHANGE: dict[type[SyncedObject], Entity] = {
    EventType: Entity.EVENT_TYPE,
    Segment: Entity.SEGMENT,
}
"""The mirror models Octy cannot update."""


def being_replaced(row: SyncedObject) -> bool:
    """Whether ``row`` is on its way out of Octy only to be created again."""
    entity = REPLACED_ON_CHANGE.get(type(row))
    return entity is not None and Replacement.objects.filter(entity=entity, row_id=row.pk).exists()


def needs_replacement(row: SyncedObject) -> bool:
    """Whether saving a change of ``row`` replaces an object Octy has (a delete + create)."""
    return type(row) in REPLACED_ON_CHANGE and bool(row.octy_id)


@transaction.atomic
def save_definition(row: SyncedObject) -> None:
    """Save ``row`` and queue its push: an update, or for event types and segments a replacement."""
    row.save()
    if row.octy_id and type(row) in REPLACED_ON_CHANGE:
        Replacement.objects.update_or_create(
            entity=REPLACED_ON_CHANGE[type(row)],
            row_id=row.pk,
            defaults={"old_octy_id": row.octy_id},
        )
        type(row)._default_manager.filter(pk=row.pk).update(
            state=SyncState.DELETE_PENDING, deletion_requested=True
        )


def recreate(
    sender: type[SyncedObject],
    operation: Operation,
    rows: Sequence[SyncedObject],
    outcomes: dict[int, Outcome],
    **kwargs: Any,
) -> None:
    """After Octy deleted replaced definitions, queue them for creation (their new version)."""
    entity = REPLACED_ON_CHANGE.get(sender)
    if entity is None or operation != Operation.DELETE:
        return
    deleted = [row.pk for row in rows if isinstance(outcomes.get(row.pk), Synced)]
    with transaction.atomic():
        replaced = Replacement.objects.filter(entity=entity, row_id__in=deleted)
        row_ids = list(replaced.values_list("row_id", flat=True))
        if row_ids:
            # A new local change: the flush applying the deletion leaves these pending.
            sender._default_manager.filter(pk__in=row_ids).update(**changed())
            replaced.delete()


def connect() -> None:
    post_push.connect(recreate, dispatch_uid="django_octy.definitions.recreate")
