"""``manage.py octy_reconcile``: record the host changes that no signal saw."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...conf import settings
from ...sync.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Record again every host object (of a source that names its modified_field) changed "
        "after its mirror row's last recorded change: what queryset.update() or a crash "
        "before post_save left unrecorded. Looks back OCTY['RECONCILE_WINDOW'] seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        window = parser.add_mutually_exclusive_group()
        window.add_argument(
            "--window", type=float, help="Look back this many seconds instead of the setting."
        )
        window.add_argument("--all", action="store_true", help="Look at every host object.")
        parser.add_argument("--json", action="store_true", help="Print JSON, for machines.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            window = None
        elif options["window"] is not None:
            window = options["window"]
        else:
            window = settings.RECONCILE_WINDOW
        summary = reconcile(window)
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), indent=2))
            return
        if not summary.checked:
            self.stdout.write("No source names a modified_field: nothing to reconcile.")
        for name, checked in summary.checked.items():
            recorded = summary.recorded[name]
            self.stdout.write(f"{name}: {checked} changed objects looked at, {recorded} recorded")
