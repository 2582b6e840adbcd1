"""``manage.py seed_shop``: fill an empty shop with demo data, with a progress bar per stage."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from shop.seeding import Sizes, seed


class Command(BaseCommand):
    help = "Create demo customers, products, orders, page views and logins, recorded for Octy."

    def add_arguments(self, parser: CommandParser) -> None:
        for field in fields(Sizes):
            option = "--" + field.name.replace("_", "-")
            parser.add_argument(option, type=int, default=field.default, help="default %(default)s")
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = Sizes(**{field.name: options[field.name] for field in fields(Sizes)})
        bars: dict[str, tqdm[Any]] = {}

        def progress(stage: str, count: int, total: int) -> None:
            if stage not in bars:
                for bar in bars.values():
                    bar.close()
                bars[stage] = tqdm(desc=f"{stage:<18}", total=total, unit=" obj")
            bars[stage].update(count)

        try:
            seeded = seed(sizes, progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        finally:
            for bar in bars.values():
                bar.close()
        if options["json"]:
            self.stdout.write(json.dumps({**asdict(seeded), "events": seeded.events}))
        else:
            self.stdout.write(self.style.SUCCESS(f"Seeded: {seeded}"))
