"""The reconcile: record the host changes that no signal saw.

``QuerySet.update()`` sends no ``post_save``, and in Django's default
autocommit mode a save commits before ``post_save`` runs, so a crash in
between leaves the host row changed and its mirror row as it was. A source
that names its ``modified_field`` lets this pass find such rows: every host
object changed (within the window) after its mirror's last recorded change,
or without a mirror row at all, is recorded again. Event sources record their
objects' events again; the de-duplication keys keep that from doubling any.

A host object is read again, locked, in the transaction that records it: a
save that lands meanwhile waits for it and is recorded after, never under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from .recording import CHUNK_SIZE, batches, record_events, upsert_many
from .registry import registry
from .scheduling import request_flush
from .sources import EventSource, ObjectSource, Source


@dataclass
class ReconcileSummary:
    """Per source (``app.Model entity``): host objects looked at, and recorded again."""

    checked: dict[str, int] = field(default_factory=dict)
    recorded: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def reconcile(window: float | None = None) -> ReconcileSummary:
    """Record what changed unseen in the last ``window`` seconds (``None``: ever)."""
    since = None if window is None else timezone.now() - timedelta(seconds=window)
    summary = ReconcileSummary()
    for source in registry.all():
        if source.modified_field:
            name = f"{source.model._meta.label} {source.entity}"
            checked, recorded = reconcile_source(source, since)
            summary.checked[name] = checked
            summary.recorded[name] = recorded
    return summary


def reconcile_source(source: Source[Any], since: datetime | None) -> tuple[int, int]:
    """Returns how many host objects were looked at, and how many recorded again."""
    host = source.model._default_manager.order_by("pk")
    if since is not None:
        host = host.filter(**{f"{source.modified_field}__gte": since})
    checked = recorded = 0
    for chunk in batches(host.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
        checked += len(chunk)
        changed = chunk if isinstance(source, EventSource) else unrecorded(source, chunk)
        if changed:
            record_again(source, [obj.pk for obj in changed])
            recorded += len(changed)
    return checked, recorded


def unrecorded(source: Source[Any], chunk: Sequence[models.Model]) -> list[models.Model]:
    """The objects of ``chunk`` changed after their mirror row's last recorded change.

    A row recorded before sources named a modification time has none: its
    last local change (``updated_at``) stands in.
    """
    recorded = {
        source_id: (modified_at, updated_at)
        for source_id, modified_at, updated_at in source.mirror._default_manager.filter(
            source_type=ContentType.objects.get_for_model(source.model),
            source_id__in=[str(obj.pk) for obj in chunk],
        ).values_list("source_id", "source_modified_at", "updated_at")
    }
    changed = []
    for obj in chunk:
        modified = source.modified_at(obj)
        if str(obj.pk) not in recorded:
            if may_sync(source, obj):
                changed.append(obj)
            continue
        recorded_at, updated_at = recorded[str(obj.pk)]
        if modified is not None and (
            modified != recorded_at if recorded_at else modified > updated_at
        ):
            changed.append(obj)
    return changed


def may_sync(source: Source[Any], obj: models.Model) -> bool:
    """Whether an object without a mirror row belongs in the target (one that raises may)."""
    assert isinstance(source, ObjectSource)
    try:
        return bool(source.should_sync(obj))
    except Exception:  # recording it logs the mapping error
        return True


def record_again(source: Source[Any], pks: list[Any]) -> None:
    """Record these host objects again, as they are now, holding their rows meanwhile."""
    with transaction.atomic():
        objects = list(source.model._default_manager.select_for_update().filter(pk__in=pks))
        if isinstance(source, EventSource):
            record_events(source, objects)
        elif isinstance(source, ObjectSource):
            upsert_many(source, objects)
    request_flush()
