"""``manage.py octy_status``: what is synced, pending and failed, per entity."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...models import SyncState
from ...sync.status import Status, status
from ..reporting import age, table


class Command(BaseCommand):
    help = (
        "Show how many rows of each entity are synced, pending and failed, the oldest pending "
        "change, the changes waiting to be mapped, the last day's pushes, the last alarm and "
        "the last errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON, for machines.")
        parser.add_argument(
            "--errors", type=int, default=5, help="How many recent errors to show (default 5)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        current = status(last_errors=options["errors"])
        if options["json"]:
            self.stdout.write(json.dumps(current.as_dict(), indent=2))
        else:
            self.print_text(current)

    def print_changes_waiting(self, current: Status) -> None:
        """Saves that no flush has mapped yet: the table's counts do not show them."""
        waiting = current.changes_waiting
        oldest = f" (oldest {age(waiting.oldest)})" if waiting.count else ""
        self.stdout.write(f"Changes waiting to be mapped: {waiting.count}{oldest}.")

    def print_waiting(self, current: Status) -> None:
        """Outstanding rows that wait on another object, and on which."""
        for entity in current.entities:
            for waits in entity.waiting.values():
                on = "; ".join(waits.blocking)
                line = f"{entity.label}: {waits.rows} waiting for {waits.label}: {on}"
                self.stdout.write(self.style.WARNING(line))

    def print_text(self, current: Status) -> None:
        states = list(SyncState)
        rows = [
            [e.label, *(e.counts[state] for state in states), e.total, age(e.oldest_pending)]
            for e in current.entities
        ]
        headers = ["Entity", *(state.label for state in states), "Total", "Oldest pending"]
        self.stdout.write(table(headers, rows))
        self.print_changes_waiting(current)
        self.print_waiting(current)
        for activity in current.activity.values():
            self.stdout.write(
                f"\n{activity.target}, last {activity.hours} h: {activity.requests} requests "
                f"({activity.failed_requests} failed), {activity.succeeded} of {activity.sent} "
                f"objects accepted, {activity.errors} errors logged."
            )
        alarm = current.last_alarm
        if alarm is None:
            self.stdout.write("Alarms: none.")
        elif alarm.is_open:
            self.stdout.write(
                self.style.ERROR(
                    f"Alarm (open, since {age(alarm.created_at)}, seen {alarm.occurrences} times): "
                    f"{alarm}"
                )
            )
        else:
            self.stdout.write(f"Last alarm (resolved {age(alarm.resolved_at)} ago): {alarm}")
        if current.last_errors:
            self.stdout.write("\nLast errors:")
            for error in current.last_errors:
                self.stdout.write(f"  {age(error.created_at)} ago  {error}")
