"""CRM requests with aliased batches against one request per entry, side by side in one run.

Both sides make the same changes to the test shop's companies and their people
(Company and Contact entries; one company per four people), against a fake
Octopus served over loopback: every entry created, then every entry updated,
then every person deleted. The engine flushes in this process (no worker). One
side sends ``OCTOPUS["ENTRIES_PER_REQUEST"] = 1`` (one entry per request, the
Octopus target before aliased batches), the other the app's default. Counted
per side: the fake's requests by method (``Authenticate`` included) and the
wall time of the flushes, then the ratio one-per-entry / batched:

    .venv/bin/python benchmarks/crm_batches.py                 # 2,000 entries
    .venv/bin/python benchmarks/crm_batches.py 500 --latency 0.02  # 20 ms a request

SQLite by default; PostgreSQL: set ``DATABASE_URL`` (see benchmarks/support.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.db import transaction
from django.test.utils import override_settings

from benchmarks.support import describe_setup, fake_octy, throwaway_database
from django_octy.conf import octopus_settings
from django_octy.models import OctopusEntry
from django_octy.models.base import OUTSTANDING_STATES
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOctopus
from tests.shop.models import Company, Person

ENTRY = "octopus_entry"
PEOPLE_PER_COMPANY = 4
PHASES = ("create", "update", "delete")


@dataclass(frozen=True)
class Side:
    label: str
    entries_per_request: int
    requests: Counter[str]
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.requests.values())


@contextmanager
def fake_crm(latency: float, entries_per_request: int) -> Iterator[FakeOctopus]:
    with FakeOctopus(latency=latency) as crm:
        pointed = {
            "BASE_URL": crm.url,
            "DATABASE": crm.database,
            "UID": crm.uid,
            "PASSWORD": crm.password,
            "ALLOW_INSECURE": True,
            "MAX_RETRIES": 0,
            "ENTRIES_PER_REQUEST": entries_per_request,
        }
        with override_settings(OCTOPUS=pointed):
            yield crm


def flush() -> float:
    """Flush the entries until none is due; the seconds it took."""
    started = time.perf_counter()
    while OctopusEntry.objects.filter(state__in=OUTSTANDING_STATES).exists():
        summary = flush_all([ENTRY])
        if summary.of(ENTRY).failed or summary.of(ENTRY).retried:
            raise SystemExit(f"The flush did not go through: {summary.as_dict()}")
    return time.perf_counter() - started


def run_side(label: str, entries: int, latency: float, entries_per_request: int) -> Side:
    count = max(1, entries // (PEOPLE_PER_COMPANY + 1))  # companies
    seconds = 0.0
    with fake_crm(latency, entries_per_request) as crm:
        with transaction.atomic():
            companies = [Company.objects.create(name=f"{label} {n}") for n in range(count)]
            people = [
                Person.objects.create(company=company, last_name=f"{label} {n}")
                for company in companies
                for n in range(PEOPLE_PER_COMPANY)
            ]
        seconds += flush()
        with transaction.atomic():
            for obj in [*companies, *people]:
                obj.phone = "555-0100" if isinstance(obj, Company) else ""
                if isinstance(obj, Person):
                    obj.email = f"{obj.pk}@example.com"
                obj.save()
        seconds += flush()
        with transaction.atomic():
            for person in people:
                person.delete()
        seconds += flush()
        expected = len(companies)
        if len(crm.entries) != expected:
            raise SystemExit(f"The CRM holds {len(crm.entries)} entries, not {expected}.")
        requests = Counter(entry.method for entry in crm.request_log)
    return Side(label, entries_per_request, requests, seconds)


def print_results(setup: str, entries: int, sides: list[Side]) -> None:
    one, batched = sides
    print(setup)
    print(
        f"{entries:,} entries created, updated, their contacts deleted "
        f"({PEOPLE_PER_COMPANY} contacts per company)"
    )
    methods = sorted({name for side in sides for name in side.requests})
    print(f"{'side':<24}" + "".join(f"{name:>14}" for name in methods) + f"{'total':>10}{'s':>9}")
    for side in sides:
        label = f"{side.label} ({side.entries_per_request}/req)"
        counts = "".join(f"{side.requests[name]:>14,}" for name in methods)
        print(f"{label:<24}{counts}{side.total:>10,}{side.seconds:>9.2f}")
    print(
        f"requests: {one.total / batched.total:.1f}x fewer batched; "
        f"time: {one.seconds / batched.seconds:.1f}x faster batched"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("entries", type=int, nargs="?", default=2_000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the fake waits")
    args = parser.parse_args()
    with throwaway_database(), fake_octy():
        setup = f"{describe_setup()}, fake Octopus latency {args.latency * 1000:g} ms"
        default = int(octopus_settings.defaults["ENTRIES_PER_REQUEST"])
        sides = [
            run_side("one per entry", args.entries, args.latency, 1),
            run_side("batched", args.entries, args.latency, default),
        ]
    print_results(setup, args.entries, sides)


if __name__ == "__main__":
    main()
