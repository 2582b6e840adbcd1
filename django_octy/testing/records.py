"""Small operations on stored records that several resources share."""

from __future__ import annotations

from typing import Any

from .state import now
from .validation import ObjectRejected

Record = dict[str, Any]


def find_by(records: dict[str, Record], field: str, value: str) -> Record | None:
    """A record by a field other than its key (event types and segments are few)."""
    return next((r for r in records.values() if r[field] == value), None)


def require(record: Record | None, noun: str, field: str, value: str) -> Record:
    """``record``, or the per-object failure saying none has that identifier."""
    if record is None:
        raise ObjectRejected(f"No {noun} found with {field} '{value}'")
    return record


def change(record: Record, obj: dict[str, Any]) -> Record:
    """Apply an update's fields in place (``None`` counts as absent) and stamp it."""
    record.update({k: v for k, v in obj.items() if v is not None}, updated_at=now())
    return record
