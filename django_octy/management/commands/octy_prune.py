"""``manage.py octy_prune``: delete log rows older than their table's retention period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...retention import LOG_TABLES, prune


class Command(BaseCommand):
    help = (
        "Delete push-log, error-log and webhook rows and synced events older than their "
        "retention period (OCTY['..._RETENTION_DAYS']), in short batches."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = prune()
        for table in LOG_TABLES:
            days = table.retention_days()
            if days is None:
                self.stdout.write(f"{table.label}: kept for ever ({table.setting} is None).")
            else:
                count = deleted.get(table.name, 0)
                self.stdout.write(f"{table.label}: {count} rows older than {days} days deleted.")
        self.stdout.write(self.style.SUCCESS(f"{sum(deleted.values())} rows deleted."))
