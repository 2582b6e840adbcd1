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
  and a real Celery worker runs the debounced flushes (default settings).

Measured per side: the requests the fake received, the time the saves took,
and the wall time from the first save until the fake holds every customer
with its latest data (polled every 50 ms). Then per latency the ratios
naive / django-octy. The first row, "no sync", is the same saves with no
integration at all: the floor under both sides' wall time. It runs at the
fake's latency 0 and 20 ms:

    .venv/bin/python benchmarks/versus_naive.py                # 10,000 changes
    .venv/bin/python benchmarks/versus_naive.py 1000           # quick
    .venv/bin/python benchmarks/versus_naive.py 10000 --profile  # + pyinstrument of the flushes

``--profile`` records the worker's flush tasks with pyinstrument
(``pip install pyinstrument``) and prints the profile before the table.
PostgreSQL and Redis: set ``DATABASE_URL`` and ``CELERY_BROKER_URL`` (see
benchmarks/support.py).
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

from celery.signals import task_postrun, task_prerun  # noqa: E402
from django.db.models.signals import post_save  # noqa: E402

from benchmarks.support import (  # noqa: E402
    Change,
    Shop,
    celery_worker,
    changes,
    describe_setup,
    fake_octy,
    missing,
    throwaway_database,
    wait_until,
)
from django_octy.client import OctyClient  # noqa: E402
from django_octy.sync import receivers  # noqa: E402
from django_octy.testing import FakeOcty  # noqa: E402
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
    wall: float


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
        "platform_info": {},
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
    side: str, octy: FakeOcty, latency: float, planned: list[Change], synced: bool = True
) -> Result:
    """Make the changes, then (if ``synced``) wait until the fake holds all of them."""
    octy.reset()
    octy.latency = latency
    shop = Shop(f"{side}-{latency}")
    started = time.monotonic()
    for change in planned:
        shop.save(change)
    saving = time.monotonic() - started
    if synced:
        expected = shop.expected()
        wait_until(lambda: not missing(octy, expected), TIMEOUT, f"{side}'s changes in the fake")
    return Result(side, latency, len(octy.request_log), saving, time.monotonic() - started)


def floor(octy: FakeOcty, planned: list[Change]) -> Result:
    """The same saves with no integration at all: what neither side can go below."""
    with without_django_octy():
        return run_side("no sync", octy, 0.0, planned, synced=False)


def compare(octy: FakeOcty, latency: float, planned: list[Change]) -> tuple[Result, Result]:
    with OctyClient(
        octy.public_key, octy.secret_key, base_url=octy.url, allow_insecure=True
    ) as client:
        naive = NaiveIntegration(client)
        with naive.installed():
            baseline = run_side("naive", octy, latency, planned)
    with celery_worker():
        ours = run_side("django-octy", octy, latency, planned)
    return baseline, ours


@contextmanager
def profiled_flushes(enabled: bool) -> Iterator[None]:
    """Record every flush task the worker runs in one pyinstrument session, printed at the end."""
    if not enabled:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)

    def start(sender: Any = None, **_: Any) -> None:
        if sender is not None and sender.name == "django_octy.tasks.flush":
            profiler.start()

    def stop(sender: Any = None, **_: Any) -> None:
        if profiler.is_running:
            profiler.stop()

    task_prerun.connect(start, weak=False)
    task_postrun.connect(stop, weak=False)
    try:
        yield
    finally:
        task_prerun.disconnect(start)
        task_postrun.disconnect(stop)
    print(profiler.output_text(unicode=False, color=False, show_all=False), flush=True)


def print_results(count: int, alone: Result, pairs: list[tuple[Result, Result]]) -> None:
    print(f"\n{count:,} changes ({UPDATE_SHARE:.0%} edits), {describe_setup()}")
    print(f"{'side':<12} {'latency':>8} {'requests':>9} {'saves s':>9} {'wall s':>9}")
    for result in [alone, *(result for pair in pairs for result in pair)]:
        print(
            f"{result.side:<12} {result.latency * 1000:>6.0f}ms {result.requests:>9,} "
            f"{result.saving:>9.2f} {result.wall:>9.2f}"
        )
    for naive, ours in pairs:
        print(
            f"latency {naive.latency * 1000:.0f} ms: "
            f"{naive.requests / ours.requests:.0f}x fewer requests, "
            f"{naive.wall / ours.wall:.1f}x faster until all changes are in Octy"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("changes", type=int, nargs="?", default=10_000)
    parser.add_argument("--profile", action="store_true", help="pyinstrument the flush tasks")
    args = parser.parse_args()
    planned = changes(args.changes, UPDATE_SHARE)
    with throwaway_database(), fake_octy() as octy, profiled_flushes(args.profile):
        alone = floor(octy, planned)
        pairs = [compare(octy, latency, planned) for latency in LATENCIES]
    print_results(args.changes, alone, pairs)


if __name__ == "__main__":
    main()
