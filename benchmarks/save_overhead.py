"""What syncing costs a host's writes: django_octy installed and syncing vs not installed.

For each database (SQLite, then PostgreSQL in a database named ``bench_save``,
created fresh and dropped at the end), three worker processes share one fresh
database, writing the test shop's ``Customer``:

* ``plain``: django_octy left out of ``INSTALLED_APPS``;
* ``shop``: django_octy installed and syncing through the shop's own
  ``CustomerSource`` (tests/shop/octy.py), whose mapping runs two queries per
  customer (its tags, and whether it has a paid order);
* ``fields``: the same, through a source that only reads the customer's fields
  (what django_octy itself adds to a save, without a mapping's own queries);
* ``log``: not django_octy, but the floor of its change-log design:
  django_octy left out, and a ``post_save`` receiver that appends one narrow
  row (model, primary key) to a table with one raw ``INSERT`` (one multi-row
  ``INSERT`` after a ``bulk_create``), leaving the mapping to the worker;
* with ``--before PATH`` (an exported copy of an earlier django_octy, e.g.
  ``git archive e58844c | tar -x -C /tmp/before``), ``shop-before`` and
  ``fields-before``: the same two sources on that engine, which mapped the
  customer into its mirror row inside the save.

Syncing means the save writes its change-log row (the engine before: maps the
customer into its mirror row) and schedules a flush on commit, on an
in-process Celery broker that no worker consumes. This
process drives the workers in turns, round by round (the order flips every
round), so that all see the same machine load; only one works at a time.

Each timing covers a whole transaction (``transaction.atomic()``, commit and
on-commit callbacks included):

* ``save()`` of an existing customer (one field changed);
* ``save()`` of a new customer;
* ``bulk_create()`` of 1,000 customers, followed (when installed) by
  ``django_octy.mark_dirty()`` of them, the documented way to record changes
  that skip signals.

Prints the median of each, per configuration, and the ratio of each syncing
configuration to ``plain``.

    .venv/bin/python benchmarks/save_overhead.py              # 20 rounds, both databases
    .venv/bin/python benchmarks/save_overhead.py --rounds 3 --databases sqlite  # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
POSTGRES_NAME = "bench_save"
TARGETS = {("fields", "update"): 1.3, ("fields", "insert"): 1.3}
"""Issue 17's targets: a save with a fields-only source 1.3x; anything else 1.5x."""
DEFAULT_TARGET = 1.5
BEFORE = "-before"

SAVES_PER_ROUND = 40
BULK_PER_ROUND = 1
BULK_ROWS = 1000
CUSTOMERS = 200
"""Existing customers each worker saves in turn."""

OPERATIONS = {
    "update": "save() of an existing row",
    "insert": "save() of a new row",
    "bulk": f"bulk_create({BULK_ROWS:,}) + mark_dirty",
}
CONFIGURATIONS = {
    "plain": "django_octy not installed",
    "shop": "syncing, the shop's CustomerSource",
    "fields": "syncing, a fields-only source",
    "log": "not syncing: one narrow change-log INSERT per save (a design's floor)",
}
CHANGE_LOG = "bench_change_log"


# The worker: one configuration on one database, timing a round at each request.


class Workload:
    """Timed writes of the shop's customers, each in a transaction of its own."""

    def __init__(self, label: str, after_bulk: Callable[[list[Any]], object] | None) -> None:
        from tests.shop.models import Customer

        self.model = Customer
        self.label = label
        self.after_bulk = after_bulk
        self.created = 0
        self.customers = [self.new_customer() for _ in range(CUSTOMERS)]
        for customer in self.customers:
            customer.save()

    def new_customer(self) -> Any:
        self.created += 1
        return self.model(email=f"{self.label}-{self.created}@example.com", first_name="Ann")

    def update(self, number: int) -> float:
        customer = self.customers[number % CUSTOMERS]
        customer.city = f"city-{number}"
        return timed(customer.save)

    def insert(self) -> float:
        return timed(self.new_customer().save)

    def bulk(self) -> float:
        rows = [self.new_customer() for _ in range(BULK_ROWS)]
        return timed(lambda: self.bulk_create(rows))

    def bulk_create(self, rows: list[Any]) -> None:
        created = self.model.objects.bulk_create(rows)
        if self.after_bulk is not None:
            assert all(row.pk for row in created), "bulk_create() returned no primary keys"
            self.after_bulk(created)

    def round(self, number: int) -> dict[str, list[float]]:
        saves = range(number * SAVES_PER_ROUND, (number + 1) * SAVES_PER_ROUND)
        return {
            "update": [self.update(n) for n in saves],
            "insert": [self.insert() for _ in saves],
            "bulk": [self.bulk() for _ in range(BULK_PER_ROUND)],
        }


def timed(write: Callable[[], object]) -> float:
    from django.db import transaction

    started = time.perf_counter()
    with transaction.atomic():
        write()
    return time.perf_counter() - started


def register_fields_only_source() -> None:
    """Map customers through their own fields only, in place of the shop's source."""
    from django_octy import sources
    from tests.shop.models import Customer

    sources.unregister(Customer)

    @sources.register(Customer)
    class FieldsOnlyCustomerSource(sources.ProfileSource[Customer]):
        customer_id_field = "pk"
        profile_data_fields = ("first_name", "city")


def install_change_log() -> Callable[[list[Any]], None]:
    """Append (model, pk) to a narrow table on every customer save; returns the bulk form."""
    from django.db import connection
    from django.db.models.signals import post_save

    from tests.shop.models import Customer

    key = "BIGSERIAL" if connection.vendor == "postgresql" else "INTEGER"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {CHANGE_LOG} "
            f"(id {key} PRIMARY KEY, model VARCHAR(100) NOT NULL, object_id VARCHAR(255) NOT NULL)"
        )
    insert = f"INSERT INTO {CHANGE_LOG} (model, object_id) VALUES "

    def append(rows: list[Any]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                insert + ", ".join(["(%s, %s)"] * len(rows)),
                [value for row in rows for value in (row._meta.label, str(row.pk))],
            )

    def on_save(sender: Any, instance: Any, **_: Any) -> None:
        append([instance])

    post_save.connect(on_save, sender=Customer, weak=False)
    return append


def serve(configuration: str) -> None:
    """Answer each line on stdin ("round N") with that round's timings, as a JSON line."""
    import django

    django.setup()
    kind = configuration.removesuffix(BEFORE)
    after_bulk: Callable[[list[Any]], object] | None = None
    if kind == "fields":
        register_fields_only_source()
    if kind == "log":
        after_bulk = install_change_log()
    elif kind != "plain":
        import django_octy

        print(f"engine: {Path(django_octy.__file__).parent}", file=sys.stderr)
        after_bulk = django_octy.mark_dirty
    workload = Workload(configuration, after_bulk)
    print("ready", flush=True)
    for line in sys.stdin:
        print(json.dumps(workload.round(int(line.split()[1]))), flush=True)


# The driver.


@dataclass
class Worker:
    configuration: str
    process: subprocess.Popen[str]
    timings: dict[str, list[float]]

    def request(self, number: int) -> None:
        stdin, stdout = pipes(self.process)
        stdin.write(f"round {number}\n")
        stdin.flush()
        answer = stdout.readline()
        if not answer:
            raise SystemExit(f"The {self.configuration} worker died.")
        for operation, values in json.loads(answer).items():
            self.timings.setdefault(operation, []).extend(values)


def pipes(process: subprocess.Popen[str]) -> tuple[IO[str], IO[str]]:
    assert process.stdin is not None and process.stdout is not None
    return process.stdin, process.stdout


def engine_root(configuration: str, before: Path | None) -> Path:
    """Where a worker's django_octy comes from: that copy for a ``*-before`` worker.

    Also its working directory, which Celery puts first on ``sys.path``.
    """
    return before if before and configuration.endswith(BEFORE) else ROOT


def environment(
    database_url: str, configuration: str, before: Path | None = None
) -> dict[str, str]:
    path = [str(before)] if engine_root(configuration, before) != ROOT else []
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.save_settings",
        "DATABASE_URL": database_url,
        "OCTY_INSTALLED": "0" if configuration in ("plain", "log") else "1",
        "PYTHONPATH": os.pathsep.join([*path, str(ROOT)]),
    }


def migrate(database_url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--run-syncdb", "-v0"],
        env=environment(database_url, "shop"),
        cwd=ROOT,
        check=True,
    )


def start(database_url: str, configuration: str, before: Path | None) -> Worker:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", configuration],
        env=environment(database_url, configuration, before),
        cwd=engine_root(configuration, before),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    if pipes(process)[1].readline().strip() != "ready":
        raise SystemExit(f"The {configuration} worker did not start.")
    return Worker(configuration, process, {})


def stop(worker: Worker) -> None:
    pipes(worker.process)[0].close()
    worker.process.wait(timeout=60)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{directory}/bench_save.sqlite3"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh ``bench_save`` database, dropped at the end."""
    import psycopg

    def execute(statement: str) -> None:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(statement)

    execute(f"DROP DATABASE IF EXISTS {POSTGRES_NAME}")
    execute(f"CREATE DATABASE {POSTGRES_NAME}")
    try:
        yield f"{POSTGRES_SERVER}/{POSTGRES_NAME}"
    finally:
        execute(f"DROP DATABASE IF EXISTS {POSTGRES_NAME} WITH (FORCE)")


DATABASES = {"sqlite": sqlite_database, "postgresql": postgres_database}


def configurations(before: Path | None) -> list[str]:
    extra = [f"{name}{BEFORE}" for name in ("shop", "fields")] if before else []
    return [*CONFIGURATIONS, *extra]


def compare(database: str, rounds: int, before: Path | None) -> None:
    """Drive every configuration on one fresh database, in turns, then print the medians."""
    with DATABASES[database]() as url:
        migrate(url)
        workers = [start(url, configuration, before) for configuration in configurations(before)]
        try:
            for number in range(rounds):
                turn = workers if number % 2 == 0 else workers[::-1]
                for worker in turn:
                    worker.request(number)
        finally:
            for worker in workers:
                stop(worker)
    report(database, workers)


def report(database: str, workers: list[Worker]) -> None:
    plain, *synced = workers
    for operation, label in OPERATIONS.items():
        before = statistics.median(plain.timings[operation])
        for worker in synced:
            after = statistics.median(worker.timings[operation])
            ratio = after / before
            target = TARGETS.get((worker.configuration, operation), DEFAULT_TARGET)
            verdict = (
                ""
                if worker.configuration.endswith(BEFORE)
                else (f"target <= {target}: {'met' if ratio <= target else 'NOT met'}")
            )
            print(
                f"{database:<11} {label:<30} {worker.configuration:<14} "
                f"{len(worker.timings[operation]):>5} {before * 1000:>10.3f} "
                f"{after * 1000:>10.3f} {ratio:>7.2f}  {verdict}",
                flush=True,
            )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--databases", nargs="+", choices=list(DATABASES), default=list(DATABASES))
    parser.add_argument(
        "--before", type=Path, help="an exported copy of an earlier django_octy, measured beside"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    options = arguments()
    if options.serve:
        serve(options.serve)
        return
    print(
        f"Median ms per transaction over {options.rounds} rounds of {SAVES_PER_ROUND} saves "
        f"and {BULK_PER_ROUND} bulk write each"
    )
    for configuration, meaning in CONFIGURATIONS.items():
        print(f"  {configuration:<14} {meaning}")
    if options.before:
        print(f"  {'*' + BEFORE:<14} the same, on the engine in {options.before}")
    print(
        f"{'database':<11} {'operation':<30} {'config':<14} {'runs':>5} {'plain':>10} "
        f"{'syncing':>10} {'ratio':>7}"
    )
    for database in options.databases:
        compare(database, options.rounds, options.before)


if __name__ == "__main__":
    main()
