"""Scale-out: drain time of a backlog of pending profiles with 1, 2 and 4 Celery workers.

PostgreSQL (database ``bench_scale``, created if missing, its tables emptied
before each run and the database dropped at the end) and Redis (db 11). For
each worker count, the backlog is written as pending profile rows, a fake Octy
answers every request after 50 ms, that many ``celery worker --pool solo``
processes are started (one task at a time each; settings
``tests.reliability.worker_settings``), and the drain is woken as a save
wakes it (``request_flush()``: one debounced flush task). The clock runs from
then until the fake holds every profile and nothing is left to push. Prints each
run's time, requests and flush tasks per worker, then the speed-ups over one
worker.

    .venv/bin/python benchmarks/scale_out.py                 # 100,000 profiles; 1, 2, 4 workers
    .venv/bin/python benchmarks/scale_out.py 20000 1 4       # 20,000 profiles; 1 and 4 workers

``BENCH_DATABASE_URL`` and ``BENCH_BROKER_URL`` point it elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import machine_load  # noqa: E402
from django_octy.testing import FakeOcty  # noqa: E402
from tests.reliability.workers import (  # noqa: E402
    SETTINGS_MODULE,
    WorkerProcess,
    running_workers,
    worker_environment,
)

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_scale"
)
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/11")
LATENCY = 0.050
DRAIN_TIMEOUT = 1200.0
SEED_CHUNK = 5000
CREATE_PROFILES = "/v1/retention/profiles/create"
FLUSH_SUCCEEDED = re.compile(r"Task django_octy\.tasks\.flush\[[^\]]+\] succeeded")


@dataclass
class Run:
    workers: int
    seconds: float
    create_requests: int
    other_requests: int
    pushes_per_profile: Counter[int]
    flushes_per_worker: list[int]


def create_database() -> None:
    """Create the benchmark's database if it does not exist yet."""
    server, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def drop_database() -> None:
    server, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def configure_django(octy: FakeOcty) -> None:
    """Django for this process: the workers' settings, the same database, broker and Octy."""
    os.environ.update(worker_environment(DATABASE_URL, BROKER_URL, octy_settings(octy)))
    import django

    django.setup()
    from django.core.management import call_command

    import tests.celery_app  # noqa: F401 - Celery's default app, configured from the settings

    call_command("migrate", verbosity=0)


def octy_settings(octy: FakeOcty) -> dict[str, object]:
    return {
        "PUBLIC_KEY": octy.public_key,
        "SECRET_KEY": octy.secret_key,
        "BASE_URL": octy.url,
        "ALLOW_INSECURE_BASE_URL": True,
    }


def seed(count: int) -> None:
    """Empty the mirror tables, then write ``count`` pending profiles."""
    from django.db import connection

    from django_octy.models import Profile, PushLog

    tables = ", ".join(model._meta.db_table for model in (Profile, PushLog))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    for start in range(0, count, SEED_CHUNK):
        Profile.objects.bulk_create(
            Profile(customer_id=f"c{n:07d}", profile_data={"city": f"city {n % 97}"})
            for n in range(start, min(start + SEED_CHUNK, count))
        )


def drained(octy: FakeOcty, count: int) -> bool:
    from django_octy.sync.pending import nothing_to_push

    with octy.state.lock:
        held = len(octy.state.profiles)
    return held == count and nothing_to_push()


def wait_for_drain(octy: FakeOcty, count: int) -> float:
    """Wake the drain as a committed save does; seconds until everything is in the fake."""
    from django_octy.sync.scheduling import request_flush

    started = time.monotonic()
    request_flush()
    while not drained(octy, count):
        if time.monotonic() - started > DRAIN_TIMEOUT:
            raise SystemExit(f"Not drained after {DRAIN_TIMEOUT:g} s")
        time.sleep(0.2)
    return time.monotonic() - started


def flushes_run(worker: WorkerProcess) -> int:
    return len(FLUSH_SUCCEEDED.findall(worker.log_since(0)))


def measure(workers: int, count: int, octy: FakeOcty, log_dir: Path) -> Run:
    from django_octy.sync.scheduling import reset_debounce
    from tests.celery_app import app as celery_app

    seed(count)
    octy.reset()
    octy.latency = LATENCY
    celery_app.control.purge()
    reset_debounce()
    env = worker_environment(DATABASE_URL, BROKER_URL, octy_settings(octy))
    with running_workers(workers, env, log_dir, prefix=f"run{workers}-worker") as started:
        seconds = wait_for_drain(octy, count)
    creates = [entry for entry in octy.request_log if entry.path == CREATE_PROFILES]
    pushes = Counter(
        profile["customer_id"] for entry in creates for profile in entry.body["profiles"]
    )
    return Run(
        workers=workers,
        seconds=seconds,
        create_requests=len(creates),
        other_requests=len(octy.request_log) - len(creates),
        pushes_per_profile=Counter(pushes.values()),
        flushes_per_worker=[flushes_run(worker) for worker in started],
    )


def report(run: Run, count: int) -> None:
    pushed_once = run.pushes_per_profile == Counter({1: count})
    print(
        f"{run.workers} worker(s): {run.seconds:7.1f} s, {count / run.seconds:7.0f} profiles/s, "
        f"{run.create_requests} create requests (+{run.other_requests} other), "
        f"each profile pushed exactly once: {pushed_once} "
        f"{json.dumps(dict(sorted(run.pushes_per_profile.items())))}, "
        f"flush tasks per worker {run.flushes_per_worker}",
        flush=True,
    )


def main() -> None:
    args = [int(arg) for arg in sys.argv[1:]]
    count = args[0] if args else 100_000
    worker_counts = args[1:] or [1, 2, 4]
    print(
        f"{count:,} pending profiles, Octy latency {LATENCY * 1000:.0f} ms, PostgreSQL + Redis, "
        f"{machine_load()}, settings {SETTINGS_MODULE}",
        flush=True,
    )
    create_database()
    try:
        with FakeOcty() as octy, tempfile.TemporaryDirectory() as log_dir:
            configure_django(octy)
            runs = []
            for workers in worker_counts:
                runs.append(measure(workers, count, octy, Path(log_dir)))
                report(runs[-1], count)
        from django.db import connection

        connection.close()
    finally:
        drop_database()
    baseline = runs[0]
    for run in runs[1:]:
        print(
            f"speed-up, {run.workers} vs {baseline.workers} worker(s): "
            f"{baseline.seconds / run.seconds:.2f}x"
        )


if __name__ == "__main__":
    main()
