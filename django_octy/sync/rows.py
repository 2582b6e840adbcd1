"""Writing many mirror rows, each with values of its own, in one round trip.

``QuerySet.bulk_update()`` builds a ``CASE WHEN`` expression per field and
row, which costs seconds of CPU per 500 rows; the sync engine writes such
batches all the time, so it sends one parameterised ``UPDATE`` per row
through ``executemany`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field

from ..models import SyncedObject


def column(field: Field[Any, Any]) -> str:
    assert field.column, f"{field} has no column"
    return field.column


def write_rows(rows: Sequence[SyncedObject], field_names: Sequence[str]) -> None:
    """Save ``field_names`` of each row (all of one model), whatever their values."""
    if not rows:
        return
    model = type(rows[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if field.name in field_names]
    assignments = ", ".join(f"{quote(column(field))} = %s" for field in fields)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608 - quoted model names
        f"WHERE {quote(column(model._meta.pk))} = %s"
    )
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
