"""Issue #7, scenario 3: an Octy fault storm loses nothing and duplicates nothing.

30% of the requests to the fake Octy are answered 500, 503 or 429 (each with
``Retry-After: 1``) or have their connection dropped, while 20,000 changes of
customers, products and paid orders are saved (50 to a transaction) and
drained by a real Celery worker (two flushers at once on PostgreSQL, one on
SQLite, as the claims allow), with the sweep sent on its beat schedule. The
engine's retry machinery is the real one; only its delays are shortened.

Run it alone with ``pytest -m reliability tests/reliability/test_fault_storm.py``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, transaction

from django_octy.conf import settings as octy_settings
from django_octy.models import PushLog, SyncError
from django_octy.schedule import SWEEP_INTERVAL
from django_octy.signals import pre_push
from django_octy.sync.scheduling import reset_debounce, send_flush
from django_octy.tasks import sweep
from django_octy.testing import FakeOcty
from django_octy.testing.request_log import RequestLogEntry
from tests.celery_app import app as celery_app
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

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(600),
]

STORM_RATE = 0.3
STORM_STATUSES = (500, 503, 429)
RETRY_AFTER = 1.0
DROPPED_SHARE = 0.25
"""Of the failed requests, the share whose connection is dropped instead of answered."""
DELIVERY_ALLOWANCE = 0.1
"""Seconds for an answer the fake has logged to reach its client's thread (a tenth of
the Retry-After; the machine running the suite may be busy)."""

STORM_SETTINGS = {
    # Batches of 100 rather than 500: five times the requests, for the storm to hit.
    "BATCH_SIZE": 100,
    "FLUSH_DELAY": 0.2,
    "BACKOFF_BASE": 0.5,
    "BACKOFF_MAX": 4.0,
    "MAX_RETRIES": 3,
    "MAX_ATTEMPTS": 10,
    "TIMEOUT": 10.0,
    # A push here lasts seconds (Retry-After 1, backoff capped at 4); a flusher whose
    # apply dies (a deadlock with a host transaction) leaves its lease to run out.
    "LEASE_SECONDS": 60,
}

NEW_CUSTOMERS = 6000
NEW_PRODUCTS = 3000
PAID_ORDERS = 4000
CUSTOMER_EDITS = 4000
PRODUCT_EDITS = 3000
CHANGES = NEW_CUSTOMERS + NEW_PRODUCTS + PAID_ORDERS + CUSTOMER_EDITS + PRODUCT_EDITS
ROUNDS = 20
TRANSACTION_SIZE = 50
"""Changes committed together, as an import or a bulk edit in the admin would."""
DRAIN_TIMEOUT = 420.0

FLUSHERS = 2 if connection.vendor != "sqlite" else 1
"""Concurrent flushes in the worker: SQLite has no SKIP LOCKED, so one flusher there."""


@dataclass
class Storm:
    """The shop's side of the storm: what was saved, and what the drain saw."""

    rng: random.Random = field(default_factory=lambda: random.Random(7))
    customers: list[Customer] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    saves: int = 0
    pushers: set[str] = field(default_factory=set)

    def save_round(self, number: int) -> None:
        """One round (1/ROUNDS) of each kind of change, ``TRANSACTION_SIZE`` per transaction."""
        changes: list[Callable[[], None]] = [
            *(partial(self.new_customer, n) for n in share_of(NEW_CUSTOMERS, number)),
            *(partial(self.new_product, n) for n in share_of(NEW_PRODUCTS, number)),
            *(partial(self.record_paid_order, n) for n in share_of(PAID_ORDERS, number)),
            *[partial(self.move_a_customer, number)] * (CUSTOMER_EDITS // ROUNDS),
            *[partial(self.reprice_a_product, number)] * (PRODUCT_EDITS // ROUNDS),
        ]
        for start in range(0, len(changes), TRANSACTION_SIZE):
            with transaction.atomic():
                for change in changes[start : start + TRANSACTION_SIZE]:
                    change()
                    self.saves += 1

    def new_customer(self, n: int) -> None:
        self.customers.append(
            Customer.objects.create(email=f"storm{n}@example.com", first_name=f"First {n}")
        )

    def new_product(self, n: int) -> None:
        self.products.append(
            Product.objects.create(
                sku=f"sku-{n}", name=f"Product {n}", category=f"Aisle {n % 7}", price=Decimal(9)
            )
        )

    def move_a_customer(self, number: int) -> None:
        customer = self.rng.choice(self.customers)
        customer.city = f"City {number}"
        customer.save()

    def reprice_a_product(self, number: int) -> None:
        product = self.rng.choice(self.products)
        product.price += number + 1
        product.save()

    def record_paid_order(self, n: int) -> None:
        """A paid order of one line: one ``charged`` event, unique by its payment method."""
        order = Order.objects.create(
            customer=self.rng.choice(self.customers), payment_method=f"card-{n}"
        )
        OrderLine.objects.create(order=order, product=self.rng.choice(self.products))
        order.paid = True
        order.save()


def share_of(total: int, round_number: int) -> range:
    return range(round_number * total // ROUNDS, (round_number + 1) * total // ROUNDS)


@pytest.fixture
def storm_octy(octy_settings: FakeOcty, settings: Any) -> Iterator[FakeOcty]:
    """The fake Octy with the storm on every API path and the shortened delays."""
    settings.OCTY = {**settings.OCTY, **STORM_SETTINGS}
    octy_settings.inject_random(
        "/v1/",
        rate=STORM_RATE,
        statuses=STORM_STATUSES,
        retry_after=RETRY_AFTER,
        drop_connection_share=DROPPED_SHARE,
        seed=20260703,
    )
    reset_debounce()
    yield octy_settings
    reset_debounce()


@pytest.fixture
def storm_worker(storm_octy: FakeOcty, transactional_db: None) -> Iterator[Storm]:
    """A real Celery worker running ``FLUSHERS`` flushes at once; notes who pushed."""
    storm = Storm()

    def note_pusher(**_: Any) -> None:
        storm.pushers.add(threading.current_thread().name)

    celery_app.control.purge()
    pre_push.connect(note_pusher, weak=False)
    pool = {"pool": "threads", "concurrency": FLUSHERS} if FLUSHERS > 1 else {"pool": "solo"}
    try:
        with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=60, **pool):
            yield storm
    finally:
        pre_push.disconnect(note_pusher)
        celery_app.control.purge()


def drain() -> None:
    """Wait until nothing is outstanding, sending the sweep on its beat schedule."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    next_sweep = time.monotonic()
    while rows_not_synced():
        if time.monotonic() > deadline:
            pytest.fail(f"Not drained after {DRAIN_TIMEOUT:g}s: {rows_not_synced()}")
        if time.monotonic() >= next_sweep:
            sweep.delay()
            next_sweep += SWEEP_INTERVAL
        time.sleep(0.2)


def objects_sent(entry: RequestLogEntry) -> list[str]:
    """The natural keys of the objects in one write request (empty for reads)."""
    if not isinstance(entry.body, dict):
        return []
    sent = []
    for objects in entry.body.values():
        if isinstance(objects, list):
            sent += [natural_key(obj) for obj in objects if isinstance(obj, dict)]
    return sent


def natural_key(obj: dict[str, Any]) -> str:
    properties = obj.get("event_properties")
    if "profile_id" in obj and isinstance(properties, dict):  # an event: unique by payment
        return f"event {properties.get('payment_method')}"
    for key in ("customer_id", "item_id", "event_type", "profile_id"):
        if key in obj:
            return f"{key}={obj[key]}"
    return repr(sorted(obj))


def sends_per_object(octy: FakeOcty) -> Counter[tuple[str, str]]:
    """How many requests (answered, failed or dropped) carried each object, per path."""
    return Counter((entry.path, key) for entry in octy.request_log for key in objects_sent(entry))


def early_requests(log: list[RequestLogEntry]) -> list[str]:
    """Requests that reached a path before the ``Retry-After`` of an earlier answer there ran out.

    A request counts once the answer can have reached its client: ``DELIVERY_ALLOWANCE``
    after the fake logged it. One sent by another flusher in that instant could not
    know of it; one sent later by a client that ignored it lands anywhere in the
    ``Retry-After`` and is caught.
    """
    by_path: dict[str, list[RequestLogEntry]] = {}
    for entry in sorted(log, key=lambda e: e.started_at):
        by_path.setdefault(entry.path, []).append(entry)
    early = []
    for path, entries in by_path.items():
        for answer in (e for e in entries if e.retry_after is not None):
            known_at = answer.finished_at + DELIVERY_ALLOWANCE
            resume_at = answer.finished_at + answer.retry_after
            early += [
                f"{path}: {e.started_at - answer.finished_at:.3f}s after a Retry-After of "
                f"{answer.retry_after:g}s (HTTP {answer.status})"
                for e in entries
                if known_at < e.started_at < resume_at
            ]
    return early


def outcomes(log: list[RequestLogEntry]) -> Counter[str]:
    return Counter("dropped" if e.dropped else str(e.status) for e in log)


def test_a_fault_storm_loses_and_duplicates_nothing(
    storm_octy: FakeOcty, storm_worker: Storm
) -> None:
    started = time.monotonic()
    for number in range(ROUNDS):
        storm_worker.save_round(number)
    saved_in = time.monotonic() - started
    for _ in range(FLUSHERS):  # the flushers compete for the backlog from here on
        send_flush()
    drain()
    drained_in = time.monotonic() - started

    log = list(storm_octy.request_log)
    seen = outcomes(log)
    sends = sends_per_object(storm_octy)
    # A row is pushed at most MAX_ATTEMPTS times before it is dead-lettered, each push
    # being at most MAX_RETRIES + 1 requests: the most one object can be sent to one path.
    bound = (octy_settings.MAX_RETRIES + 1) * octy_settings.MAX_ATTEMPTS
    print(
        f"\nfault storm: {storm_worker.saves} changes saved in {saved_in:.1f}s, drained after "
        f"{drained_in:.1f}s by {len(storm_worker.pushers)} flusher thread(s); "
        f"{len(log)} requests {dict(sorted(seen.items()))}; most requests carrying one "
        f"object to one path: {max(sends.values())} (bound {bound}); batch pushes that "
        f"failed after the client's retries: {PushLog.objects.exclude(error='').count()}"
    )

    assert storm_worker.saves == CHANGES
    assert {"500", "503", "429", "dropped"} <= set(seen), "the storm should have hit every way"
    assert rows_not_synced() == {}  # nothing pending, nothing dead-lettered
    errors = SyncError.objects.values_list("entity", "operation", "identifier", "reason")
    assert not errors.exists(), list(errors[:5])
    assert lost_profiles(storm_octy) == []
    assert lost_items(storm_octy) == []
    assert event_differences(storm_octy) == {"lost": [], "duplicated": []}
    customers = Counter(str(pk) for pk in Customer.objects.values_list("pk", flat=True))
    products = Counter(Product.objects.values_list("sku", flat=True))
    assert created_by_successful_requests(storm_octy, CREATE_PROFILES, "customer_id") == customers
    assert created_by_successful_requests(storm_octy, CREATE_ITEMS, "item_id") == products
    assert max(sends.values()) <= bound
    assert early_requests(log) == []
