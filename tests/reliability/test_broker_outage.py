"""Issue #7, scenario 2: the Celery broker stops for a minute while changes are saved.

A private ``redis-server`` is the broker of this test only; a real Celery
worker runs in a subprocess with the product's beat schedule embedded
(``--beat``, the ``django-octy-sweep`` entry of :mod:`django_octy.schedule`),
so that recovery takes the path production takes: the sweep finds what is
pending and sends a flush. Changes are saved steadily before, during and after
a 60-second outage (the broker process is killed, then started again empty),
and none after the restart, so that only the sweep can send the flush that
drains them. Every save must commit, and once the broker is back every change
must reach the fake Octy with its last values, once.

The worker is a subprocess so that it lives through the outage exactly as a
deployed one does (its connection drops and reconnects); it shares the test's
database, PostgreSQL when ``DATABASE_URL`` is set, otherwise the suite's SQLite
file, which a second process can open.

Run it alone with ``pytest -m reliability tests/reliability/test_broker_outage.py``.
"""

from __future__ import annotations

import random
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.db import connection

from django_octy.schedule import SWEEP_INTERVAL
from django_octy.sync.scheduling import reset_debounce
from django_octy.testing import FakeOcty
from tests.celery_app import app as suite_app
from tests.shop.models import Customer, Order, OrderLine, Product

from .conftest import (
    CREATE_ITEMS,
    CREATE_PROFILES,
    created_by_successful_requests,
    event_differences,
    lost_items,
    lost_profiles,
    rows_not_synced,
)
from .workers import WorkerProcess, database_url_of, worker_environment

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(480),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH"),
]

OUTAGE = 60.0
BEFORE_OUTAGE = 10.0
SAVE_PAUSE = 0.05
"""Seconds between two saves: a steady trickle of changes."""

DRAIN_TIMEOUT = 2 * SWEEP_INTERVAL + 60.0
"""After the restart: the worker reconnects, then the next sweep (at most one interval away)."""

SWEEP_FOUND_WORK = re.compile(r"django_octy\.tasks\.sweep\[[^]]+\] succeeded in \S+: True")
"""The worker's log line of a sweep that found pending rows and sent a flush."""

OUTAGE_SETTINGS = {"FLUSH_DELAY": 0.2, "BACKOFF_BASE": 0.5, "BACKOFF_MAX": 4.0, "TIMEOUT": 10.0}

BEAT_WORKER = (
    "import sys\n"
    "from django_octy.schedule import BEAT_SCHEDULE\n"
    "from tests.celery_app import app\n"
    "app.conf.beat_schedule = BEAT_SCHEDULE\n"
    "app.worker_main(sys.argv[1:])\n"
)
"""A worker as ``workers.py`` starts it, with the product's beat entries run inside it."""


class BeatWorkerProcess(WorkerProcess):
    """A worker process with embedded beat (``--beat``) sending the product's sweep."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path) -> None:
        super().__init__(name, env, log_dir)
        self.schedule_path = log_dir / f"{name}-beat-schedule"

    def command(self) -> list[str]:
        celery = super().command()
        worker_args = celery[celery.index("worker") :]
        beat = ["--beat", "--schedule", str(self.schedule_path)]
        return [sys.executable, "-c", BEAT_WORKER, *worker_args, *beat]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """A ``redis-server`` on its own port, without persistence, that the test can kill."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self.accepts_connections, 10.0, "the private redis-server to listen")

    def accepts_connections(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def kill(self) -> None:
        """Stop at once, as a crashed broker would (its queues are gone with it)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``condition`` until it holds; returns the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"Timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - started


def database_url() -> str:
    """The test database, as a URL the worker process can open."""
    try:
        return database_url_of(connection.settings_dict)
    except ValueError as unsupported:
        pytest.skip(str(unsupported))


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(free_port(), tmp_path / "redis.log")
    redis.start()
    yield redis
    redis.kill()


@pytest.fixture
def outage_octy(octy_settings: FakeOcty, settings: Any) -> FakeOcty:
    settings.OCTY = {**settings.OCTY, **OUTAGE_SETTINGS}
    return octy_settings


@pytest.fixture
def broker_app(broker: PrivateRedis, monkeypatch: pytest.MonkeyPatch) -> Iterator[Celery]:
    """The test's own Celery app on the private broker: the web process's side."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery lets it win over the app's
    app = Celery("broker_outage", broker=broker.url)
    app.set_current()
    reset_debounce()
    yield app
    suite_app.set_current()
    reset_debounce()


@pytest.fixture
def worker(
    broker: PrivateRedis,
    outage_octy: FakeOcty,
    transactional_db: None,
    settings: Any,
    tmp_path: Path,
) -> Iterator[BeatWorkerProcess]:
    """A Celery worker process with embedded beat, on the private broker."""
    env = worker_environment(database_url(), broker.url, settings.OCTY)
    process = BeatWorkerProcess("outage-worker", env, tmp_path)
    process.start()
    yield process
    process.stop()


@dataclass
class Shop:
    """Steady changes of every kind: new customers, edits, new products, paid orders."""

    rng: random.Random = field(default_factory=lambda: random.Random(2))
    customers: list[Customer] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    paid_orders: int = 0
    saves: Counter[str] = field(default_factory=Counter)

    def save_one(self, n: int) -> None:
        """One change; the kind rotates so that every entity is in every phase."""
        kind = n % 4
        if kind == 0 or not self.customers or not self.products:
            self.customers.append(Customer.objects.create(email=f"outage{n}@example.com"))
        elif kind == 1:
            customer = self.rng.choice(self.customers)
            customer.city = f"City {n}"
            customer.save()
        elif kind == 2:
            self.products.append(
                Product.objects.create(
                    sku=f"sku-{n}", name=f"Product {n}", category="Aisle", price=Decimal(5)
                )
            )
        else:
            order = Order.objects.create(
                customer=self.rng.choice(self.customers), payment_method=f"card-{n}"
            )
            OrderLine.objects.create(order=order, product=self.rng.choice(self.products))
            order.paid = True
            order.save()
            self.paid_orders += 1

    def committed(self) -> tuple[int, int, int]:
        return len(self.customers), len(self.products), self.paid_orders

    def save_for(self, seconds: float, phase: str) -> None:
        """Save steadily for ``seconds``; a save that raises fails the test."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self.save_one(sum(self.saves.values()))
            self.saves[phase] += 1
            time.sleep(SAVE_PAUSE)


def restart_if_exited(worker: WorkerProcess) -> bool:
    """What the process supervisor of a deployment does: start a worker that exited again.

    Celery's worker can exit on a broker connection loss (an unrecoverable error
    in kombu's Redis transport); the changes must survive that too.
    """
    if worker.process is None or worker.process.poll() is None:
        return False
    worker.stop()
    worker.start()
    return True


def test_changes_saved_during_a_broker_outage_are_all_pushed(
    outage_octy: FakeOcty, broker: PrivateRedis, broker_app: Celery, worker: BeatWorkerProcess
) -> None:
    shop = Shop()
    shop.save_for(BEFORE_OUTAGE, "before")
    wait_for(lambda: bool(outage_octy.profiles), 60.0, "the worker's first push")

    broker.kill()
    shop.save_for(OUTAGE, "outage")
    pending_at_restart = sum(rows_not_synced().values())
    log_at_restart = worker.log_path.stat().st_size
    broker.start()
    restarted_worker = restart_if_exited(worker)
    try:
        drained_in = wait_for(
            lambda: not rows_not_synced(), DRAIN_TIMEOUT, "the drain after the restart"
        )
    except pytest.fail.Exception:
        print(worker.log_tail(40))
        raise
    print(
        f"\nbroker outage: changes saved {dict(shop.saves)}; {pending_at_restart} rows pending "
        f"when the broker restarted, drained {drained_in:.1f}s later (worker restarted after "
        f"exiting: {restarted_worker}); "
        f"{len(outage_octy.request_log)} requests to the fake Octy"
    )

    assert shop.saves["outage"] > 0
    assert SWEEP_FOUND_WORK.search(worker.log_since(log_at_restart)), "the sweep should recover"
    paid = Order.objects.filter(paid=True).count()
    assert (Customer.objects.count(), Product.objects.count(), paid) == shop.committed()
    assert rows_not_synced() == {}
    assert lost_profiles(outage_octy) == []
    assert lost_items(outage_octy) == []
    assert event_differences(outage_octy) == {"lost": [], "duplicated": []}
    customers = Counter(str(customer.pk) for customer in shop.customers)
    products = Counter(product.sku for product in shop.products)
    assert created_by_successful_requests(outage_octy, CREATE_PROFILES, "customer_id") == customers
    assert created_by_successful_requests(outage_octy, CREATE_ITEMS, "item_id") == products
