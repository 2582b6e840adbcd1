"""``manage.py octy_pull [ENTITY...]``: read back what Octy holds and computes, now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...client import OctyError
from ...readback import PULLABLE, pull
from ..arguments import one_of


class Command(BaseCommand):
    help = (
        "Fetch entities from Octy into the mirror: profiles (with churn probability, RFM "
        "score and segments, and identity merges), items, event types, segments, templates. "
        "Rows with a local change not yet pushed keep their data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "entities",
            nargs="*",
            type=one_of([str(entity) for entity in PULLABLE]),
            metavar="ENTITY",
            help=f"What to pull (default: all): {', '.join(PULLABLE)}.",
        )

    def handle(self, *args: Any, entities: list[str], **options: Any) -> None:
        for entity in entities or [str(entity) for entity in PULLABLE]:
            try:
                summary = pull(entity)
            except OctyError as error:
                raise CommandError(f"Pulling {entity} failed: {error}") from error
            stored = summary.stored
            line = (
                f"{entity}: {summary.fetched} fetched, {stored.created} new, "
                f"{stored.updated} refreshed, {stored.skipped} with local changes kept"
            )
            if entity == "profile":
                line += (
                    f", {summary.merged} merge(s) recorded, "
                    f"{summary.recreated} deleted in Octy queued again"
                )
            self.stdout.write(line)
