"""Full resync with ``octy_resync``: requests per entity, throughput and peak memory.

A fresh SQLite database is migrated and filled (in a separate process, with
``bulk_create``, so no mirror row exists yet) with the test shop's host rows:
customers, products, and paid orders of one line each, which its sources map
to profiles, items and ``charged`` events. Then ``manage.py octy_resync``
runs, in its own process, against a fake Octy served by another one
(``python -m django_octy.testing``, read through its ``/_fake/`` control API:
a process forked from one that holds the fake's data would count that data in
its peak RSS): profiles, then items, then events with their event type (events wait for their
profiles and their declared type to be in Octy, so profiles go first). Each
entity's line gives the requests to Octy's create endpoint against
ceil(N/500), objects per second end to end (process start to exit, staging
included) with the CPU seconds the process spent (user and system: on a shared
machine, a steadier measure than the wall clock), the process's peak RSS,
from ``wait4``, and the most requests the
fake has answered at once since it was reset. Last, the profile resync
is repeated on a database of fewer customers, and the peak RSS ratio shows
whether memory grows with N.

    .venv/bin/python benchmarks/resync.py       # 100,000 profiles, 10,000 items, 200,000 events
    .venv/bin/python benchmarks/resync.py --profiles 2000 --items 200 --events 4000 \\
        --repeat-profiles 400                   # a quick run
    .venv/bin/python benchmarks/resync.py --latency 0.1   # each request answered 100 ms late
    git archive 7faace6 | tar -x -C /tmp/before     # an older engine, side by side in one run:
    .venv/bin/python benchmarks/resync.py --engine /tmp/before --engine .
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH_SIZE = 500
SEED_CHUNK = 5000


@dataclass(frozen=True)
class Sizes:
    profiles: int
    items: int
    events: int


@dataclass(frozen=True)
class Resync:
    """One ``octy_resync`` run and what Octy holds of the entity afterwards."""

    label: str
    entities: tuple[str, ...]
    create_path: str
    count: int


@dataclass(frozen=True)
class Measured:
    code: int
    peak_kib: int
    seconds: float
    cpu_seconds: float
    last_line: str


def run(args: list[str], env: dict[str, str]) -> Measured:
    """Run a process to its end; returns its exit code, peak RSS, duration and stderr's tail."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            args, env=env, cwd=env["PYTHONPATH"], stdout=subprocess.DEVNULL, stderr=stderr
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        stderr.seek(0)
        tail = stderr.read().decode(errors="replace").replace("\r", "\n").strip().splitlines()
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(code, usage.ru_maxrss, seconds, cpu, tail[-1] if tail else "")


class FakeOctyProcess:
    """A fake Octy served by a process of its own, steered through its control API."""

    def __init__(self, process: subprocess.Popen[str], settings: dict[str, str]) -> None:
        self.process = process
        self.settings = settings
        """``OCTY_BASE_URL``, ``OCTY_PUBLIC_KEY`` and ``OCTY_SECRET_KEY``, as it printed them."""

    def control(self, name: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.settings['OCTY_BASE_URL']}/_fake/{name}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def state(self) -> dict[str, Any]:
        """Objects held per kind (``counts``) and requests served per path (``requests``)."""
        answer: dict[str, Any] = self.control("state")
        return answer

    def reset(self, latency: float = 0.0) -> None:
        """Forget everything, then answer each API request ``latency`` seconds late."""
        self.control("reset", {})
        self.control("latency", {"latency": latency})


@contextmanager
def fake_octy() -> Iterator[FakeOctyProcess]:
    process = subprocess.Popen(
        [sys.executable, "-m", "django_octy.testing", "--port", "0"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        settings: dict[str, str] = {}
        while len(settings) < 3 and (line := process.stdout.readline()):
            if line.startswith("OCTY_"):
                key, value = line.strip().split("=", 1)
                settings[key] = value
        if len(settings) < 3:
            raise SystemExit("The fake Octy did not start.")
        yield FakeOctyProcess(process, settings)
    finally:
        process.terminate()
        process.wait(timeout=60)


def environment(octy: FakeOctyProcess, database: Path, engine: Path) -> dict[str, str]:
    """The environment of the processes that run ``engine``, a copy of this repository."""
    return {
        **os.environ,
        **octy.settings,
        "DJANGO_SETTINGS_MODULE": "benchmarks.resync_settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "PYTHONPATH": str(engine),
    }


def prepare(sizes: Sizes, env: dict[str, str]) -> None:
    """Migrate a fresh database and seed it with host rows, each in its own process."""
    python = sys.executable
    harness = Path(env["PYTHONPATH"]) / "benchmarks" / "resync.py"  # the engine's own models
    seed = [python, str(harness), "--seed", *map(str, (sizes.profiles, sizes.items, sizes.events))]
    for step in ([python, "-m", "django", "migrate", "--run-syncdb", "-v0"], seed):
        done = run(step, env)
        if done.code:
            raise SystemExit(f"{' '.join(step[:4])} failed: {done.last_line}")


def seed(sizes: Sizes) -> None:
    """Host rows, written with ``bulk_create``: no signal fires, no mirror row is made."""
    import django

    django.setup()
    from datetime import UTC, datetime
    from decimal import Decimal

    from django_octy.sync.recording import batches
    from tests.shop.models import Customer, Order, OrderLine, Product

    paid_at = datetime(2026, 1, 1, tzinfo=UTC)
    price = Decimal("99.90")
    for chunk in batches(range(1, sizes.profiles + 1), SEED_CHUNK):
        Customer.objects.bulk_create(
            Customer(pk=n, email=f"c{n}@example.com", first_name=f"C{n}", city="Oslo")
            for n in chunk
        )
    for chunk in batches(range(1, sizes.items + 1), SEED_CHUNK):
        Product.objects.bulk_create(
            Product(pk=n, sku=f"sku-{n:06d}", name=f"Tent {n}", category="tents", price=price)
            for n in chunk
        )
    for chunk in batches(range(1, sizes.events + 1), SEED_CHUNK):
        Order.objects.bulk_create(
            Order(
                pk=n,
                customer_id=(n - 1) % sizes.profiles + 1,
                paid=True,
                paid_at=paid_at,
                payment_method="card",
            )
            for n in chunk
        )
        OrderLine.objects.bulk_create(
            OrderLine(order_id=n, product_id=(n - 1) % sizes.items + 1) for n in chunk
        )


def resyncs(sizes: Sizes) -> list[Resync]:
    return [
        Resync("profiles", ("profile",), "/v1/retention/profiles/create", sizes.profiles),
        Resync("items", ("item",), "/v1/retention/items/create", sizes.items),
        Resync(
            "events", ("event_type", "event"), "/v1/retention/events/create/batch", sizes.events
        ),
    ]


def measure(resync: Resync, octy: FakeOctyProcess, env: dict[str, str]) -> Measured:
    """Run one ``octy_resync`` and print its line."""
    before = octy.state()["requests"].get(resync.create_path, 0)
    done = run([sys.executable, "-m", "django", "octy_resync", *resync.entities], env)
    after = octy.state()
    creates = after["requests"].get(resync.create_path, 0) - before
    expected = math.ceil(resync.count / BATCH_SIZE)
    in_octy = after["counts"][resync.label]
    print(
        f"{resync.label:<9} N={resync.count:>8,}  exit {done.code}  "
        f"create requests {creates:>4} / ceil(N/{BATCH_SIZE}) {expected:>4} "
        f"{'match' if creates == expected else 'MISMATCH'}  in Octy {in_octy:>8,}  "
        f"{resync.count / done.seconds:>7,.0f} objects/s  "
        f"({done.seconds:.1f} s, CPU {done.cpu_seconds:.1f} s)  "
        f"peak RSS {done.peak_kib / 1024:.1f} MiB  "
        f"most requests in flight {after['max_in_flight']}",
        flush=True,
    )
    if done.code or in_octy != resync.count:
        print(f"          last line: {done.last_line}", flush=True)
    return done


def resync_all(
    sizes: Sizes, octy: FakeOctyProcess, directory: str, name: str, options: argparse.Namespace
) -> list[Measured]:
    """A fresh database of ``sizes``, resynced entity by entity into an empty fake Octy."""
    octy.reset(options.latency)
    env = environment(octy, Path(directory) / f"{name}.sqlite3", options.engine)
    prepare(sizes, env)
    return [measure(resync, octy, env) for resync in resyncs(sizes) if resync.count]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat-profiles", type=int, default=20_000)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the fake adds to each request"
    )
    parser.add_argument(
        "--engine",
        type=Path,
        action="append",
        help="a copy of the repository whose code runs the resync (this one by default); "
        "given several times, each runs in turn against the same fake Octy",
    )
    parser.add_argument("--seed", nargs=3, type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    options = arguments()
    if options.seed:
        seed(Sizes(*options.seed))
        return
    full = Sizes(options.profiles, options.items, options.events)
    small = Sizes(options.repeat_profiles, 0, 0)
    with fake_octy() as octy, tempfile.TemporaryDirectory() as directory:
        for engine in options.engine or [ROOT]:
            load = " ".join(f"{value:.2f}" for value in os.getloadavg())
            print(f"== {engine} {time.strftime('%H:%M:%S')} load {load}", flush=True)
            one = argparse.Namespace(**{**vars(options), "engine": engine.resolve()})
            print(f"Full resync: {full}, latency {options.latency:g} s", flush=True)
            profiles = resync_all(full, octy, directory, f"{engine.name}-full", one)[0]
            print(f"Repeat: {small}", flush=True)
            repeat = resync_all(small, octy, directory, f"{engine.name}-repeat", one)[0]
            ratio = profiles.peak_kib / repeat.peak_kib
            print(
                f"peak RSS ratio, {full.profiles:,} vs {small.profiles:,} profiles: {ratio:.3f} "
                f"(target <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})",
                flush=True,
            )


if __name__ == "__main__":
    main()
