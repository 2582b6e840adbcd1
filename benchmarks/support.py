"""What the sync benchmarks share: Django on a throwaway database, a fake Octy, a Celery worker.

Scripts put the repository on ``sys.path`` and import this module before
anything of Django's. The settings are the test suite's (``tests.settings``):
SQLite by default, PostgreSQL when ``DATABASE_URL`` is set. The database is the
test database Django makes of it (a temporary SQLite file, or ``test_<name>``),
created at start and dropped at the end, so no real data is touched. The
Celery worker runs in its own process, as in production, so the broker must
cross processes: Redis db 12 on loopback unless ``CELERY_BROKER_URL`` names
another.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings, setup_databases, teardown_databases  # noqa: E402

from benchmarks.machine import machine_load  # noqa: E402
from django_octy.conf import settings as octy_settings  # noqa: E402
from django_octy.sync.scheduling import reset_debounce  # noqa: E402
from django_octy.testing import FakeOcty  # noqa: E402
from tests.celery_app import app as celery_app  # noqa: E402
from tests.reliability.workers import (  # noqa: E402
    database_url_of,
    running_workers,
    worker_environment,
)
from tests.shop.models import Customer  # noqa: E402

PROFILE_WRITES = ("/v1/retention/profiles/create", "/v1/retention/profiles/update")


def describe_setup() -> str:
    """The database and broker a run uses, for its first output line."""
    broker = str(settings.CELERY_BROKER_URL).split("://", 1)[0]
    return f"database {connection.vendor}, broker {broker}, {machine_load()}"


DEBOUNCE_OPTIONS = {"--flush-delay": "FLUSH_DELAY", "--flush-max-wait": "FLUSH_MAX_WAIT"}


def add_flush_delay_option(parser: argparse.ArgumentParser) -> None:
    for option, key in DEBOUNCE_OPTIONS.items():
        parser.add_argument(
            option, type=float, dest=key, help=f"OCTY[{key!r}] in seconds (default: the app's)"
        )


def chosen_settings(options: argparse.Namespace) -> dict[str, float]:
    """The ``OCTY`` keys the command line set (for :func:`fake_octy`)."""
    chosen = {key: getattr(options, key) for key in DEBOUNCE_OPTIONS.values()}
    return {key: value for key, value in chosen.items() if value is not None}


def describe_debounce() -> str:
    """The debounce settings a run uses."""
    return (
        f"FLUSH_DELAY {octy_settings.FLUSH_DELAY:g} s, "
        f"FLUSH_MAX_WAIT {octy_settings.FLUSH_MAX_WAIT:g} s"
    )


@contextmanager
def throwaway_database() -> Iterator[None]:
    """Create the test database (migrated), and drop it at the end."""
    created = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        connection.close()
        teardown_databases(created, verbosity=0)


@contextmanager
def fake_octy(**octy_settings: Any) -> Iterator[FakeOcty]:
    """A fake Octy on 127.0.0.1, with ``settings.OCTY`` pointing at it.

    ``octy_settings`` sets other ``OCTY`` keys; the rest keep their defaults.
    """
    with FakeOcty() as octy:
        pointed = {
            "PUBLIC_KEY": octy.public_key,
            "SECRET_KEY": octy.secret_key,
            "BASE_URL": octy.url,
            "ALLOW_INSECURE_BASE_URL": True,
            **octy_settings,
        }
        with override_settings(OCTY=pointed):
            yield octy


@contextmanager
def celery_worker() -> Iterator[None]:
    """A real Celery worker in its own process (``--pool solo``), on this database and broker.

    Its ``OCTY`` is this process's at the time (the fake's address and keys), its
    other settings the test suite's.
    """
    celery_app.control.purge()
    reset_debounce()
    env = worker_environment(
        database_url_of(connection.settings_dict),
        str(settings.CELERY_BROKER_URL),
        settings.OCTY,
    )
    with tempfile.TemporaryDirectory() as log_dir, running_workers(1, env, Path(log_dir)):
        yield
    reset_debounce()


@dataclass(frozen=True)
class Change:
    """One save of a customer: ``target`` is None for a new customer, else an earlier one's index.

    ``city`` is unique to the change, so that its arrival in Octy can be told apart.
    """

    target: int | None
    city: str


def changes(count: int, update_share: float, seed: int = 7) -> list[Change]:
    """``count`` saves: new customers, and a share ``update_share`` of edits of earlier ones."""
    rng = random.Random(seed)
    planned: list[Change] = []
    created = 0
    for number in range(count):
        city = f"city-{number}"
        if created and rng.random() < update_share:
            planned.append(Change(rng.randrange(created), city))
        else:
            planned.append(Change(None, city))
            created += 1
    return planned


class Shop:
    """Applies changes to the host's customers, each save in a transaction of its own."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.customers: list[Customer] = []

    def save(self, change: Change) -> Customer:
        with transaction.atomic():  # like a request under ATOMIC_REQUESTS
            if change.target is None:
                customer = Customer.objects.create(
                    email=f"{self.label}-{len(self.customers)}@example.com",
                    first_name="Ann",
                    city=change.city,
                )
                self.customers.append(customer)
                return customer
            customer = self.customers[change.target]
            customer.city = change.city
            customer.save()
            return customer

    def expected(self) -> dict[str, str]:
        """The city Octy must end up with, per customer_id."""
        return {str(customer.pk): customer.city for customer in self.customers}


def missing(octy: FakeOcty, expected: dict[str, str]) -> int:
    """How many customers the fake does not hold with their latest city yet."""
    profiles = octy.profiles
    return sum(
        profiles.get(customer_id, {}).get("profile_data", {}).get("city") != city
        for customer_id, city in expected.items()
    )


def wait_until(done: Callable[[], bool], timeout: float, what: str, poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"Gave up after {timeout:g} s waiting for {what}.")
        time.sleep(poll)


def profile_writes(octy: FakeOcty) -> Iterator[tuple[float, dict[str, Any]]]:
    """``(finished_at, profile)`` for every profile a successful create or update carried."""
    for entry in octy.request_log:
        if entry.path in PROFILE_WRITES and entry.status is not None and entry.status < 300:
            for profile in entry.body["profiles"]:
                yield entry.finished_at, profile


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile (0..1) of ``values``, interpolated."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(share * 1000) - 1]
