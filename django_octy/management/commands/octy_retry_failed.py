"""``manage.py octy_retry_failed``: give dead-lettered rows a fresh set of attempts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...models import Entity
from ...sync.pending import requeue_failed
from ...sync.resync import MIRRORS
from ..arguments import add_entities_argument


class Command(BaseCommand):
    help = (
        "Queue the failed rows (dead letters) of the given entities, or of all, for another "
        "push; a flush is scheduled. Fix what Octy refused first, or they fail again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_entities_argument(parser, "Which entities")

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = {Entity(entity) for entity in options["entities"]} or set(Entity)
        total = 0
        for entity in Entity:
            if entity not in wanted:
                continue
            model = MIRRORS[entity]
            count = requeue_failed(model._default_manager.all())
            total += count
            if count:
                self.stdout.write(f"{entity.label}: {count} failed rows queued again.")
        if total:
            self.stdout.write(
                self.style.SUCCESS(f"{total} rows queued; a flush has been scheduled.")
            )
        else:
            self.stdout.write("No failed rows: nothing to retry.")
