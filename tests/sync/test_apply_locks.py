"""Applying a push while another transaction holds some of its rows (PostgreSQL row locks).

The rows' holder is a transaction that edits the claimed customers and folds
each edit into its mirror row at once (as a flusher's fold does, or a host
transaction that calls ``fold_changes()``), in the reverse of their id order,
the other way round from the order in which ``apply()`` takes the rows'
locks. Were ``apply()`` to wait for a held row while holding the rows before
it, the host's next edit would wait for one of those: a deadlock, in which
PostgreSQL aborts one of the two transactions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from django_octy.client import OctyClient
from django_octy.models import Operation, Profile, SyncedObject, SyncState
from django_octy.sync.apply import apply
from django_octy.sync.claim import claim
from django_octy.sync.flush import operation_for
from django_octy.sync.folding import fold_changes
from django_octy.sync.handlers.octy import ProfileHandler
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

from .conftest import is_postgres
from .test_flush import customers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not is_postgres, reason="needs PostgreSQL (row locks, SKIP LOCKED)"),
    pytest.mark.django_db(transaction=True),
]

WAIT_SECONDS = 10.0
"""How long either side waits for the other before giving up (a bound, not a pace)."""


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def blocks(holder_pid: int, waiter_pid: int) -> bool:
    """Whether the backend ``waiter_pid`` is waiting for a lock ``holder_pid`` holds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s = ANY(pg_blocking_pids(%s))", [holder_pid, waiter_pid])
        return bool(cursor.fetchone()[0])


def poll(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@contextmanager
def lock_timeout(seconds: float) -> Iterator[None]:
    """A bound on every lock wait of this connection: a wrong turn fails instead of hanging."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{int(seconds * 1000)}ms'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


class HostTransaction(threading.Thread):
    """Edits ``edited`` in reverse id order in one transaction, on its own connection,
    folding each edit into its mirror row at once (which locks the row).

    It edits all but the first, says it holds them, waits until ``waiter_pid``
    is blocked on one of them, then edits the first and commits.
    """

    def __init__(self, edited: list[Customer], waiter_pid: int) -> None:
        super().__init__(name="host-transaction")
        self.edited = edited
        self.waiter_pid = waiter_pid
        self.holding = threading.Event()
        self.waiter_blocked = False
        self.first_row_seen: tuple[SyncState, int | None] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with lock_timeout(WAIT_SECONDS), transaction.atomic():
                first, *rest = self.edited
                for customer in reversed(rest):
                    self.edit(customer)
                self.holding.set()
                own_pid = backend_pid()
                self.waiter_blocked = poll(lambda: blocks(own_pid, self.waiter_pid))
                row = Profile.objects.get(customer_id=str(first.pk))
                self.first_row_seen = (SyncState(row.state), row.synced_version)
                self.edit(first)
        except BaseException as error:
            self.error = error
        finally:
            self.holding.set()
            connection.close()

    @staticmethod
    def edit(customer: Customer) -> None:
        customer.city = "Bergen"
        customer.save()
        fold_changes()


def test_apply_settles_free_rows_first_and_waits_for_held_rows_one_by_one(
    octy: FakeOcty,
) -> None:
    everyone = customers(3)
    fold_changes()
    model: type[SyncedObject] = Profile  # what a drain claims: any handler's model
    claimed = claim(model, 10)
    mirrored = Profile.objects.order_by("pk").values_list("pk", flat=True)
    assert claimed is not None and [row.pk for row in claimed.rows] == list(mirrored)
    sent_versions = {row.pk: row.version for row in claimed.rows}
    operations = {row.pk: operation_for(row) for row in claimed.rows}
    with OctyClient(octy.public_key, octy.secret_key, octy.url, allow_insecure=True) as client:
        handler = ProfileHandler(client)
        outcomes = handler.push(Operation.CREATE, claimed.rows)
    assert len(octy.profiles) == 3

    host = HostTransaction(everyone, backend_pid())
    host.start()
    try:
        assert host.holding.wait(WAIT_SECONDS) and host.error is None
        with lock_timeout(WAIT_SECONDS):
            applied = apply(handler, claimed, outcomes, operations, [])
    finally:
        host.join(WAIT_SECONDS * 3)
    assert not host.is_alive()
    assert host.error is None, f"the host transaction failed: {host.error!r}"

    # apply() settled the free row, committed, and only then waited for a held one.
    assert host.waiter_blocked
    first_pk = claimed.rows[0].pk
    assert host.first_row_seen == (SyncState.SYNCED, sent_versions[first_pk])
    assert (applied.rows, applied.lost_leases, applied.dead_letters) == (3, 0, 0)

    # Every row is settled for the version sent, and the host's edits wait to go out.
    rows = Profile.objects.order_by("pk")
    assert [
        (row.state, row.version, row.synced_version, row.lease_token, row.octy_id) for row in rows
    ] == [
        (
            SyncState.PENDING,
            sent_versions[row.pk] + 1,
            sent_versions[row.pk],
            None,
            octy.profiles[row.customer_id]["profile_id"],
        )
        for row in rows
    ]
    assert set(Customer.objects.values_list("city", flat=True)) == {"Bergen"}
