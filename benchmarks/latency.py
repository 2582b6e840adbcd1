"""Save → visible in Octy, with a running Celery worker and the default settings.

Saves of the test shop's customers (new ones, and 30% edits of earlier ones),
each in its own transaction, arrive at a steady rate with jitter (each gap
0.5 to 1.5 times the mean) over a bounded duration; a real Celery worker runs
the debounced flushes (``FLUSH_DELAY``, ``FLUSH_MAX_WAIT`` and the rest at their defaults, see
django_octy/conf.py) against a fake Octy on loopback. A save's latency runs
from the moment its ``save()`` starts to the end of the first fake Octy
request that carried that change or a later one of the same customer (the
fake's request log, same clock). Prints p50/p95/max.

    .venv/bin/python benchmarks/latency.py            # 1,000 saves over 60 s
    .venv/bin/python benchmarks/latency.py 200 15     # quick: 200 saves over 15 s
    .venv/bin/python benchmarks/latency.py --flush-delay 3  # a longer debounce

PostgreSQL and Redis: set ``DATABASE_URL`` and ``CELERY_BROKER_URL`` (see
benchmarks/support.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
    percentile,
    profile_writes,
    throwaway_database,
    wait_until,
)
from django_octy.testing import FakeOcty  # noqa: E402

UPDATE_SHARE = 0.3
TARGET_P95 = 2.0
SETTLE_TIMEOUT = 120.0
"""Seconds the last changes may take to reach the fake after the last save."""


@dataclass(frozen=True)
class Saved:
    customer_id: str
    number: int
    at: float


def gaps(count: int, duration: float, seed: int = 11) -> list[float]:
    """Seconds before each save: ``duration / count`` on average, jittered by ±50%."""
    rng = random.Random(seed)
    mean = duration / count
    return [mean * rng.uniform(0.5, 1.5) for _ in range(count)]


def save_steadily(shop: Shop, planned: list[Change], pauses: list[float]) -> list[Saved]:
    saved = []
    due = time.monotonic()
    for number, (change, pause) in enumerate(zip(planned, pauses, strict=True)):
        due += pause
        time.sleep(max(0.0, due - time.monotonic()))
        started = time.monotonic()
        customer = shop.save(change)
        saved.append(Saved(str(customer.pk), number, started))
    return saved


def latencies(octy: FakeOcty, saved: list[Saved]) -> list[float]:
    """Per save, the seconds until the fake held that change (or a later one of that customer)."""
    arrivals: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for finished_at, profile in profile_writes(octy):
        number = int(profile["profile_data"]["city"].removeprefix("city-"))
        arrivals[profile["customer_id"]].append((number, finished_at))
    return [
        min(at for number, at in arrivals[save.customer_id] if number >= save.number) - save.at
        for save in saved
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("saves", type=int, nargs="?", default=1000)
    parser.add_argument("seconds", type=float, nargs="?", default=60.0)
    add_flush_delay_option(parser)
    args = parser.parse_args()
    planned = changes(args.saves, UPDATE_SHARE)
    shop = Shop("latency")
    chosen = chosen_settings(args)
    with throwaway_database(), fake_octy(**chosen) as octy, celery_worker():
        setup = f"{describe_setup()}, {describe_debounce()}{' (default)' if not chosen else ''}"
        saved = save_steadily(shop, planned, gaps(args.saves, args.seconds))
        spent = saved[-1].at - saved[0].at
        expected = shop.expected()
        wait_until(lambda: not missing(octy, expected), SETTLE_TIMEOUT, "the last changes")
        seconds = sorted(latencies(octy, saved))
        requests = len(octy.request_log)
    p95 = percentile(seconds, 0.95)
    print(setup)
    print(
        f"{len(saved):,} saves ({UPDATE_SHARE:.0%} edits) over {spent:.1f} s, "
        f"{requests:,} requests to the fake"
    )
    print(
        f"save -> visible in Octy: p50 {percentile(seconds, 0.5):.3f} s, "
        f"p95 {p95:.3f} s, max {seconds[-1]:.3f} s "
        f"(target p95 <= {TARGET_P95:g} s: {'met' if p95 <= TARGET_P95 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
