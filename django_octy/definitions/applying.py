"""Applying a plan: definitions into the mirror (then pushed), configurations to Octy."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from ..client import OctyClient
from ..models import Entity, MessageTemplate, SyncState
from ..sync.flush import FlushSummary, flush_all
from ..sync.pending import due, requeue_failed
from .plan import HINTS, Action, Change, mirror_model, model_of
from .replacement import save_definition

MAX_FLUSHES = 3
"""A replacement takes two flushes (delete, then create); a third catches stragglers."""


def apply_changes(changes: Sequence[Change], client: OctyClient) -> None:
    """Write every change: mirrored ones in one transaction, configurations one by one."""
    with transaction.atomic():
        for change in changes:
            if change.declared.kind.entity is not None:
                apply_mirrored(change, client)
    for change in changes:
        values = change.declared.values
        if change.declared.kind.name == "accountConfigurations":
            client.set_account_config(values)
        elif change.declared.kind.name == "algorithmConfigurations":
            client.set_algorithm_config(values)


def apply_mirrored(change: Change, client: OctyClient) -> None:
    values = {k: v for k, v in change.declared.values.items() if k not in HINTS}
    if change.action == Action.RETRY:
        assert change.row is not None
        requeue_failed(type(change.row)._default_manager.filter(pk=change.row.pk))
        return
    row = change.row
    if row is None:
        model = mirror_model(change.declared.kind)
        row = model(**values)
        if model is MessageTemplate:
            row.octy_id = adoptable_template(change.declared.values.get("template_id"), client)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    save_definition(row)


def adoptable_template(template_id: str | None, client: OctyClient) -> str | None:
    """A declared ``templateID`` Octy has: the new row updates that template instead of creating."""
    if not template_id:
        return None
    # Listing, not a lookup: Octy answers a lookup of an unknown id with an error.
    known = any(t.get("template_id") == template_id for t in client.get_templates())
    return template_id if known else None


def push(entities: Sequence[Entity]) -> FlushSummary:
    """Flush ``entities`` until none of their rows is due (or a few flushes went by)."""
    summary = FlushSummary()
    models = [model_of(entity) for entity in entities]
    for _ in range(MAX_FLUSHES):
        summary = flush_all(entities)
        if summary.stopped or not any(due(model).exists() for model in models):
            break
    return summary


def failed_rows(entities: Sequence[Entity]) -> list[str]:
    """``"<label> <name>: <error>"`` for each definition left failed."""
    found = []
    for entity in entities:
        model = model_of(entity)
        for row in model._default_manager.filter(state=SyncState.FAILED):
            found.append(f"{entity.label} {row}: {row.last_error}")
    return found
