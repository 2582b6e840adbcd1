"""``manage.py octopus_pull``: read the Octopus CRM's address-book entries into the mirror."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...octopus import OctopusError
from ...readback.octopus import pull_entries
from ..arguments import positive_int


def json_object(value: str) -> dict[str, Any]:
    try:
        loaded = json.loads(value)
    except json.JSONDecodeError as error:
        raise CommandError(f"Not JSON: {value!r} ({error})") from error
    if not isinstance(loaded, dict):
        raise CommandError(f"Expected a JSON object, got {value!r}")
    return loaded


class Command(BaseCommand):
    help = (
        "Fetch the Octopus address-book entries matching a search query into the mirror "
        "(OctopusEntry rows, known by their stable identity). Rows with a local change not "
        "yet pushed keep their data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--query",
            type=json_object,
            help='A SearchQuery as JSON, e.g. \'{"Type": {"$EQ": "Contact"}}\' (default: all).',
        )
        parser.add_argument(
            "--fields",
            type=json_object,
            help='Scope.Fields as JSON, e.g. \'{"FirstName": 1, "Email": 1}\' (Key, Type and '
            "ParentKey are always read).",
        )
        parser.add_argument("--top", type=positive_int, help="At most this many entries.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = pull_entries(options["query"], options["fields"], options["top"])
        except OctopusError as error:
            raise CommandError(f"Pulling from Octopus failed: {error}") from error
        stored = summary.stored
        self.stdout.write(
            f"octopus_entry: {summary.fetched} fetched, {stored.created} new, "
            f"{stored.updated} refreshed, {stored.skipped} with local changes kept, "
            f"{summary.linked} contact(s) linked to their parent"
        )
