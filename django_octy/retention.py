"""How long the app keeps its own records, and pruning them in short batches.

Each log table has a retention period in days (``OCTY["PUSH_LOG_RETENTION_DAYS"]``
and its siblings; ``None`` keeps rows for ever). :func:`prune` deletes what is
older, a batch of ``OCTY["PRUNE_BATCH_SIZE"]`` rows per statement, each in its own
transaction, so that no lock is held for long; ``manage.py octy_prune`` and the
daily beat entry ``django-octy-prune`` run it.

Events are mirror rows: only those Octy has confirmed (synced) and that have
no de-duplication key are pruned. A keyed event (a paid order's) is what stops
a later save of its host object from recording it again, so it is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connections, models, router
from django.db.models import Q, QuerySet
from django.utils import timezone

from .conf import settings
from .models import Event, PushLog, SyncError, SyncState, WebhookDelivery


@dataclass(frozen=True)
class LogTable:
    name: str
    label: str
    model: type[models.Model]
    setting: str
    age_field: str
    only: Q = field(default_factory=Q)

    def retention_days(self) -> int | None:
        days = getattr(settings, self.setting)
        return None if days is None else int(days)

    def expired(self, now: datetime) -> QuerySet[models.Model] | None:
        """The rows past their retention period; ``None`` when the table keeps everything."""
        days = self.retention_days()
        if days is None:
            return None
        cutoff = now - timedelta(days=days)
        return self.model._default_manager.filter(self.only, **{f"{self.age_field}__lt": cutoff})


LOG_TABLES = (
    LogTable("push_log", "Push log", PushLog, "PUSH_LOG_RETENTION_DAYS", "created_at"),
    LogTable("sync_errors", "Sync errors", SyncError, "SYNC_ERROR_RETENTION_DAYS", "created_at"),
    LogTable(
        "webhook_deliveries",
        "Webhook deliveries",
        WebhookDelivery,
        "WEBHOOK_RETENTION_DAYS",
        "received_at",
    ),
    LogTable(
        "events",
        "Events (synced)",
        Event,
        "EVENT_RETENTION_DAYS",
        "created_at",
        Q(state=SyncState.SYNCED, dedupe_key__isnull=True),
    ),
)


def delete_in_batches(rows: QuerySet[models.Model], batch_size: int) -> int:
    """Delete ``rows``, ``batch_size`` at a time (oldest ids first); returns how many."""
    deleted = 0
    while True:
        batch = list(rows.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not batch:
            return deleted
        deleted += rows.model._default_manager.filter(pk__in=batch).delete()[0]
        if len(batch) < batch_size:
            return deleted


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete every log row past its table's retention period; rows deleted per table."""
    now = now or timezone.now()
    batch_size = max(1, int(settings.PRUNE_BATCH_SIZE))
    deleted = {}
    for table in LOG_TABLES:
        rows = table.expired(now)
        if rows is not None:
            deleted[table.name] = delete_in_batches(rows, batch_size)
    return deleted


# The tables' sizes, for the dashboard.

EXACT_BELOW = 100_000
"""Tables estimated below this many rows are counted exactly; above, the estimate is shown."""


@dataclass(frozen=True)
class TableSize:
    label: str
    rows: int
    estimated: bool
    bytes: int | None
    retention_days: int | None


def table_sizes() -> list[TableSize]:
    """Rows (estimated on PostgreSQL for big tables) and bytes (PostgreSQL) of each log table."""
    return [size_of(table) for table in LOG_TABLES]


def size_of(table: LogTable) -> TableSize:
    model = table.model
    connection = connections[router.db_for_read(model)]
    estimate, on_disk = None, None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint, pg_total_relation_size(oid) FROM pg_class "
                "WHERE oid = %s::regclass",
                [model._meta.db_table],
            )
            estimate, on_disk = cursor.fetchone()
    if estimate is not None and estimate >= EXACT_BELOW:
        rows, estimated = int(estimate), True
    else:
        rows, estimated = model._default_manager.count(), False
    return TableSize(table.label, rows, estimated, on_disk, table.retention_days())
