"""django-octy against the obvious integration: one Octy call per change, from ``post_save``.

Both sides make the same changes to the test shop's customers (new customers,
and 30% edits of earlier ones, each save in its own transaction), against the
same fake Octy served over loopback, in one run:

- naive: a plain ``post_save`` receiver on ``Customer`` that sends that one
  customer to Octy's create (new) or update endpoint at once, with the
  project's pooled client, as Octy's own demo integration does (the Octy id
  a create returns is kept in memory, which spares the naive side any
  lookup); django-octy's own receivers are disconnected meanwhile;
- django-octy: the registered ``CustomerSource``; saves record mirror rows,
  and a real Celery worker, in its own process as in production, runs the
  debounced flushes (default settings).

Measured per side: the requests the fake received, the time the saves took,
the CPU time of this process meanwhile (the saves; for the naive side also
the fake's serving of its requests, which runs in this process), and the wall
time from the first save until the fake holds every customer with its latest
data (polled every 50 ms). Once nothing is left to push, what the fake holds
is counted against the host's customers and event rows: objects duplicated
(events by content, profiles and items by key; docs/pipeline.md, "Where
duplicates remain") and lost. Then per latency the ratios naive / django-octy.
The first row, "no sync", is the same saves with no integration at all: the
floor under both sides' wall time, so the naive wall time over it is the most
any integration could gain. It runs at the fake's latency 0 and 20 ms:

    .venv/bin/python benchmarks/versus_naive.py                # 10,000 changes
    .venv/bin/python benchmarks/versus_naive.py 1000           # quick
    .venv/bin/python benchmarks/versus_naive.py 10000 --profile  # + pyinstrument of the saves
    .venv/bin/python benchmarks/versus_naive.py --flush-delay 3  # a longer debounce

``--profile`` records django-octy's side's saves (at 0 ms) with pyinstrument
(``pip install pyinstrument``) and prints the profile before the table.
SQLite and Redis by default; PostgreSQL: set ``DATABASE_URL`` (and
``CELERY_BROKER_URL`` for another broker, see benchmarks/support.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from django.db.models.signals import post_save  # noqa: E402

from benchmarks.support import (  # noqa: E402
    Change,
    Shop,
    add_flush_delay_option,
    celery_worker,
    changes,
    chosen_settings,
    describe_debounce,
    describe_setup,
    fake_octy,
    missing,
    throwaway_database,
    wait_until,
)
from django_octy.client import OctyClient  # noqa: E402
from django_octy.models import Event  # noqa: E402
from django_octy.sync import receivers  # noqa: E402
from django_octy.sync.pending import nothing_to_push  # noqa: E402
from django_octy.testing import FakeOcty  # noqa: E402
from tests.reliability.counting import Differences, differences  # noqa: E402
from tests.shop.models import Customer  # noqa: E402

LATENCIES = (0.0, 0.020)
UPDATE_SHARE = 0.3
TIMEOUT = 900.0
"""Seconds one side may take to get every change into the fake."""


@dataclass(frozen=True)
class Result:
    side: str
    latency: float
    requests: int
    saving: float
    cpu: float
    wall: float
    found: Differences | None
    """What the fake holds beyond and short of the host's data (None: nothing was synced)."""


def profile_payload(customer: Customer) -> dict[str, Any]:
    """The profile a hand-written integration sends: the same data CustomerSource maps."""
    return {
        "customer_id": str(customer.pk),
        "has_charged": customer.orders.filter(paid=True).exists(),
        "profile_data": {
            "first_name": customer.first_name,
            "city": customer.city,
            "tags": sorted(customer.tags.values_list("name", flat=True)),
        },
        "platform_info": {"platform": "django"},
    }


class NaiveIntegration:
    """One synchronous Octy request per save, from ``post_save``."""

    def __init__(self, client: OctyClient) -> None:
        self.client = client
        self.profile_ids: dict[int, str] = {}

    def on_save(self, sender: type[Customer], instance: Customer, created: bool, **_: Any) -> None:
        payload = profile_payload(instance)
        if created:
            (profile,) = self.client.create_profiles([payload]).succeeded
            self.profile_ids[instance.pk] = profile["profile_id"]
        else:
            self.client.update_profiles([{"profile_id": self.profile_ids[instance.pk], **payload}])

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Receive ``Customer`` saves instead of django-octy."""
        with without_django_octy():
            post_save.connect(self.on_save, sender=Customer, weak=False)
            try:
                yield
            finally:
                post_save.disconnect(self.on_save, sender=Customer)


@contextmanager
def without_django_octy() -> Iterator[None]:
    post_save.disconnect(dispatch_uid="django_octy.on_save")
    try:
        yield
    finally:
        receivers.connect()


def run_side(
    side: str,
    octy: FakeOcty,
    latency: float,
    planned: list[Change],
    synced: bool = True,
    profiler: Any = None,
) -> Result:
    """Make the changes, then (if ``synced``) wait until the fake holds all of them.

    Then, with nothing left to push (no change waiting to be mapped, no row
    outstanding), the fake's objects are counted
    against the host's customers and event rows: duplicated and lost.
    """
    octy.reset()
    octy.latency = latency
    shop = Shop(f"{side}-{latency}")
    started, cpu_started = time.monotonic(), time.process_time()
    with profiled(profiler):
        for change in planned:
            shop.save(change)
    saving, cpu = time.monotonic() - started, time.process_time() - cpu_started
    if not synced:
        wall = time.monotonic() - started
        return Result(side, latency, len(octy.request_log), saving, cpu, wall, None)
    expected = shop.expected()
    wait_until(lambda: not missing(octy, expected), TIMEOUT, f"{side}'s changes in the fake")
    wall = time.monotonic() - started
    wait_until(nothing_to_push, TIMEOUT, f"{side}'s changes to be mapped and synced")
    events = Event.objects.filter(profile__customer_id__in=list(expected))
    found = differences(octy, events, expected)
    return Result(side, latency, len(octy.request_log), saving, cpu, wall, found)


def floor(octy: FakeOcty, planned: list[Change]) -> Result:
    """The same saves with no integration at all: what neither side can go below."""
    with without_django_octy():
        return run_side("no sync", octy, 0.0, planned, synced=False)


def compare(
    octy: FakeOcty, latency: float, planned: list[Change], profiler: Any = None
) -> tuple[Result, Result]:
    with OctyClient(
        octy.public_key, octy.secret_key, base_url=octy.url, allow_insecure=True
    ) as client:
        naive = NaiveIntegration(client)
        with naive.installed():
            baseline = run_side("naive", octy, latency, planned)
    with celery_worker():
        ours = run_side("django-octy", octy, latency, planned, profiler=profiler)
    return baseline, ours


@contextmanager
def profiled(profiler: Any) -> Iterator[None]:
    """Run the block under ``profiler`` (a pyinstrument ``Profiler``), if one is given."""
    if profiler is None:
        yield
        return
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()


def saves_profiler(enabled: bool) -> Any:
    if not enabled:
        return None
    from pyinstrument import Profiler

    return Profiler(interval=0.0005)


def print_results(setup: str, alone: Result, pairs: list[tuple[Result, Result]]) -> None:
    print(f"\n{setup}")
    print(f"{'side':<12} {'latency':>8} {'requests':>9} {'saves s':>9} {'CPU s':>9} {'wall s':>9}")
    for result in [alone, *(result for pair in pairs for result in pair)]:
        print(
            f"{result.side:<12} {result.latency * 1000:>6.0f}ms {result.requests:>9,} "
            f"{result.saving:>9.2f} {result.cpu:>9.2f} {result.wall:>9.2f}"
            + ("" if result.found is None else f"  {result.found.summary()}")
        )
    for naive, ours in pairs:
        print(
            f"latency {naive.latency * 1000:.0f} ms: "
            f"{naive.requests / ours.requests:.0f}x fewer requests, "
            f"{naive.wall / ours.wall:.1f}x faster until all changes are in Octy "
            f"(an integration costing the saves nothing: {naive.wall / alone.wall:.1f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("changes", type=int, nargs="?", default=10_000)
    parser.add_argument("--profile", action="store_true", help="pyinstrument django-octy's saves")
    add_flush_delay_option(parser)
    args = parser.parse_args()
    planned = changes(args.changes, UPDATE_SHARE)
    profiler = saves_profiler(args.profile)
    chosen = chosen_settings(args)
    with throwaway_database(), fake_octy(**chosen) as octy:
        setup = (
            f"{args.changes:,} changes ({UPDATE_SHARE:.0%} edits), {describe_setup()}, "
            f"{describe_debounce()}"
        )
        alone = floor(octy, planned)
        pairs = [
            compare(octy, latency, planned, profiler if latency == 0 else None)
            for latency in LATENCIES
        ]
    if profiler is not None:
        print(profiler.output_text(unicode=False, color=False, show_all=False), flush=True)
    print_results(setup, alone, pairs)


if __name__ == "__main__":
    main()
