"""Folding the change log into mirror rows: the mapping a save no longer does.

A save writes one :class:`~django_octy.models.HostChange` row
(:func:`~.recording.log_changes`). Every flush folds the log before it
claims anything: a chunk of changes, oldest first, is read under a lock that
other folders skip; their host objects are loaded as they are now (with each
source's ``prefetch_related``), mapped into their mirror rows (which become
pending), and the changes deleted, all in one transaction. A change is thus
always in the log or in its mirror rows, never in neither.

An object deleted since its change is deleted from its target like any other
deletion. Mapping errors become :class:`~django_octy.models.SyncError` rows
naming the object and the field, as they did at save time.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router, transaction
from django.db.models import Max, prefetch_related_objects

from ..models import Entity, HostChange
from .recording import record_delete, record_events, record_mapping_error, upsert_many
from .registry import registry
from .scheduling import request_flush
from .sources import EventSource, MappingError, ObjectSource, Source

logger = logging.getLogger(__name__)

FOLD_CHUNK = 500
"""Changes folded per transaction."""

ENTITY_ORDER = {entity: position for position, entity in enumerate(Entity)}


def fold_changes() -> int:
    """Fold every change logged before the call; returns how many changes were folded.

    Changes logged meanwhile are left to the flush their commit schedules, so a
    steady stream of saves cannot keep one flush folding forever. Changes
    another folder holds are skipped: it folds them.
    """
    last = HostChange.objects.aggregate(last=Max("pk"))["last"]
    folded = 0
    while last is not None and (count := fold_chunk(last)):
        folded += count
    return folded


def fold_chunk(last: int) -> int:
    """Fold the oldest :data:`FOLD_CHUNK` free changes up to ``last``; returns how many."""
    with transaction.atomic():
        changes = list(
            HostChange.objects.filter(pk__lte=last)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", "content_type_id", "object_id")[:FOLD_CHUNK]
        )
        keys: dict[int, set[str]] = defaultdict(set)
        for _pk, content_type_id, object_id in changes:
            keys[content_type_id].add(object_id)
        for source, found, gone in changed_objects(keys):
            fold_apart(source, found, gone)
        forget([pk for pk, _, _ in changes])
    return len(changes)


def forget(changes: list[int]) -> None:
    """Delete folded changes in one statement (``QuerySet.delete()`` would read them first:
    the app's deletion receivers rule out Django's fast delete)."""
    if not changes:
        return
    connection = connections[router.db_for_write(HostChange)]
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(changes))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(HostChange._meta.db_table)} WHERE {quote('id')} IN ({marks})",  # noqa: S608 - quoted model names
            changes,
        )


def changed_objects(
    keys: dict[int, set[str]],
) -> list[tuple[Source[Any], list[models.Model], list[models.Model]]]:
    """Per source, in flush order (profiles before the events that need them): the
    changed objects that still exist, and stand-ins holding the keys of those gone."""
    folds = []
    for content_type_id, object_ids in keys.items():
        model = model_of(content_type_id)
        sources = registry.sources_for(model) if model is not None else []
        if model is None or not sources:
            logger.warning("Dropped %d changes of a model no source maps now", len(object_ids))
            continue
        found = list(model._default_manager.filter(pk__in=object_ids).order_by("pk"))
        present = {str(obj.pk) for obj in found}
        gone = [model(pk=key) for key in sorted(object_ids - present)]
        folds += [(source, found, gone) for source in sources]
    return sorted(folds, key=lambda fold: ENTITY_ORDER[fold[0].entity])


def model_of(content_type_id: int) -> type[models.Model] | None:
    """The model of a content type; ``None`` once the model or its content type is gone."""
    try:
        return ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        return None


def fold(source: Source[Any], found: list[models.Model], gone: Sequence[models.Model]) -> None:
    """Map the objects of one source as they are now; delete those gone from its target."""
    prefetch_related_objects(found, *source.prefetch_related)
    if isinstance(source, EventSource):
        record_events(source, found)  # objects deleted since recorded theirs as they went
    elif isinstance(source, ObjectSource):
        upsert_many(source, found)
        for obj in gone:
            record_delete(source, obj)


def fold_apart(source: Source[Any], found: list[models.Model], gone: list[models.Model]) -> None:
    """:func:`fold`, in a savepoint; when it raises, object by object, so that one object
    that cannot be folded (a database error in its source's queries, say) holds up no
    other: it gets an error row, and its change leaves the log."""
    try:
        with transaction.atomic():
            fold(source, found, gone)
        return
    except Exception:
        logger.exception(
            "Folding %d changes of %s failed; folding them one by one",
            len(found) + len(gone),
            source.model._meta.label,
        )
    for obj in found:
        fold_alone(source, obj, [obj], [])
    for obj in gone:
        fold_alone(source, obj, [], [obj])


def fold_alone(
    source: Source[Any], obj: models.Model, found: list[models.Model], gone: list[models.Model]
) -> None:
    """:func:`fold` of one object (in ``found`` or ``gone``), in a savepoint; what it
    raises becomes the object's mapping error."""
    try:
        with transaction.atomic():
            fold(source, found, gone)
    except Exception as error:
        problem = f"{type(error).__name__}: {error}"
        record_mapping_error(source, obj, MappingError(obj, "(mapping)", problem))


def fold_before_deletion(obj: models.Model) -> None:
    """Record the events of ``obj`` now, while it and its related rows still exist.

    Events outlive the object that recorded them, and a change of it may still
    wait in the log; recording them again records nothing twice (their
    de-duplication keys). The mirror rows of object sources need nothing of
    it: its deletion is recorded by its key.
    """
    sources = [s for s in registry.sources_for(type(obj)) if isinstance(s, EventSource)]
    for source in sources:
        fold(source, [obj], [])
    if sources:
        request_flush()
