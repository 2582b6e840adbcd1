"""Writing and inserting many mirror rows, each with values of its own, in one round trip.

``QuerySet.bulk_update()`` builds a ``CASE WHEN`` expression per field and
row, which costs seconds of CPU per 500 rows; the sync engine writes such
batches all the time, so it sends one parameterised ``UPDATE`` per row
through ``executemany`` instead, and the values all rows share in one
statement. ``bulk_create()`` likewise prepares every column of every row: a
resync inserts its staged rows with :func:`insert_rows`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field

from ..models import SyncedObject

PK_LIST = 900
"""Most parameters in one statement (SQLite before 3.32 allows 999)."""


def column(field: Field[Any, Any]) -> str:
    assert field.column, f"{field} has no column"
    return field.column


def write_rows(rows: Sequence[SyncedObject], field_names: Sequence[str]) -> None:
    """Save ``field_names`` of each row (all of one model), whatever their values.

    The fields every row gives the same value (a batch's outcomes mostly
    share their state, times and lease) go in one ``UPDATE ... WHERE pk IN``;
    only the others are written row by row.
    """
    if not rows:
        return
    model = type(rows[0])
    connection = connections[router.db_for_write(model)]
    fields = [field for field in model._meta.concrete_fields if field.name in field_names]
    first = rows[0]
    shared = [
        field
        for field in fields
        if all(getattr(row, field.attname) == getattr(first, field.attname) for row in rows)
    ]
    varying = [field for field in fields if field not in shared]
    with connection.cursor() as cursor:
        if shared:
            values = [
                field.get_db_prep_save(getattr(first, field.attname), connection)
                for field in shared
            ]
            room = max(PK_LIST - len(values), 1)
            for start in range(0, len(rows), room):
                pks = [row.pk for row in rows[start : start + room]]
                cursor.execute(update_sql(model, shared, len(pks)), [*values, *pks])
        if varying:
            params = [
                [
                    field.get_db_prep_save(getattr(row, field.attname), connection)
                    for field in varying
                ]
                + [row.pk]
                for row in rows
            ]
            cursor.executemany(update_sql(model, varying), params)


def update_sql(model: type[SyncedObject], fields: Sequence[Field[Any, Any]], pks: int = 0) -> str:
    """``UPDATE`` of ``fields`` for one row, or for ``pks`` rows by a list of primary keys."""
    quote = connections[router.db_for_write(model)].ops.quote_name
    assignments = ", ".join(f"{quote(column(field))} = %s" for field in fields)
    pk = quote(column(model._meta.pk))
    where = f"{pk} IN ({', '.join(['%s'] * pks)})" if pks else f"{pk} = %s"
    return f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {where}"  # noqa: S608 - quoted model names


def insert_rows(rows: Sequence[SyncedObject], varying: Collection[str]) -> None:
    """Insert new ``rows`` (all of one model), one parameterised ``INSERT`` per row through
    ``executemany``; their primary keys are not read back.

    Only the fields named in ``varying`` may differ from row to row: every
    other column is prepared once, from the first row, and given to all of
    them (a chunk of staged rows shares its defaults, times and source type).
    ``bulk_create()`` prepares every column of every row, which costs more
    than the rest of staging them.
    """
    if not rows:
        return
    model = type(rows[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    shared = {}
    for field in fields:
        if field.name not in varying:
            value = field.pre_save(rows[0], True)
            shared[field.name] = field.get_db_prep_save(value, connection)
            for row in rows:
                setattr(row, field.attname, value)
    columns = ", ".join(quote(column(field)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608 - quoted model names
    params = [
        [
            shared[field.name]
            if field.name in shared
            else field.get_db_prep_save(field.pre_save(row, True), connection)
            for field in fields
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
