"""``manage.py octy_apply FILE...``: make Octy's definitions and configurations match files."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...client import OctyError
from ...conf import settings
from ...connection import get_client
from ...definitions.applying import apply_changes, failed_rows, push
from ...definitions.loading import DefinitionError, load
from ...definitions.plan import plan
from ...models import Entity


class Command(BaseCommand):
    help = (
        "Apply definition files shaped like Octy's command-line client's (kinds: eventTypes, "
        "segments, templates, accountConfigurations, algorithmConfigurations). Shows the "
        "changes first; applying the same files twice changes nothing. Without files, "
        "applies OCTY['DEFINITIONS']."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", metavar="FILE", help="YAML definition files.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the changes without making them."
        )

    def handle(self, *args: Any, files: list[str], dry_run: bool, **options: Any) -> None:
        try:
            declarations = load(files or settings.DEFINITIONS)
        except DefinitionError as error:
            raise CommandError(str(error)) from error
        if not declarations:
            raise CommandError("Nothing to apply: name files, or set OCTY['DEFINITIONS'].")
        try:
            with get_client() as client:
                changes = plan(declarations, client)
                if not changes:
                    self.stdout.write("No changes.")
                    return
                for change in changes:
                    self.stdout.write(change.describe())
                if dry_run:
                    self.stdout.write(f"Dry run: {len(changes)} change(s) not applied.")
                    return
                apply_changes(changes, client)
        except OctyError as error:
            raise CommandError(f"Octy refused the request: {error}") from error
        entities = [e for e in {c.declared.kind.entity for c in changes} if e is not None]
        self.report(entities, len(changes))

    def report(self, entities: list[Entity], count: int) -> None:
        summary = push(entities) if entities else None
        if summary is not None and summary.stopped:
            raise CommandError(f"Saved, but the push to Octy stopped: {summary.stopped}")
        failures = failed_rows(entities)
        if failures:
            listed = "\n".join(f"  {failure}" for failure in failures)
            raise CommandError(
                f"{len(failures)} definition(s) could not be pushed to Octy "
                f"(run octy_apply again to retry):\n{listed}"
            )
        self.stdout.write(self.style.SUCCESS(f"Applied {count} change(s)."))
