"""``octy_resync`` pushes each chunk of host objects as it stages it, from the rows in
memory: the guarantees of the ordinary flush hold all the same (a lost answer, a lease
taken over, a mapping error mid-chunk, the bound on requests in flight)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_octy.models import Event, Operation, Profile, SyncError, SyncState
from django_octy.signals import pre_push
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, Order, OrderLine, Product

from .conftest import PROFILES, requests_to, run, running

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("forget_checkpoints"),
]


def make_customers(count: int) -> None:
    """Host objects only (``bulk_create`` sends no signal): a resync stages them."""
    Customer.objects.bulk_create(Customer(email=f"{n}@example.com") for n in range(count))


def sent_ids(octy: FakeOcty) -> list[str]:
    return [p["customer_id"] for e in requests_to(octy, PROFILES) for p in e.body["profiles"]]


def test_staged_rows_are_pushed_without_reading_them_back(octy: FakeOcty, settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 50, "RESYNC_CONCURRENCY": 1}
    make_customers(120)

    with CaptureQueriesContext(connection) as queries:
        result = run("octy_resync", "profile")

    assert result.code == 0, result.stderr
    profile_rows = '"octy_profile"."profile_data"'  # a SELECT of whole rows names this column
    assert not [q for q in queries if q["sql"].startswith("SELECT") and profile_rows in q["sql"]]
    assert sorted(entry.objects for entry in requests_to(octy, PROFILES)) == [20, 50, 50]
    synced = Profile.objects.filter(state=SyncState.SYNCED, lease_token=None)
    assert synced.count() == 120
    assert all(row.octy_id == octy.profiles[row.customer_id]["profile_id"] for row in synced)
    assert all(row.create_sent and row.synced_version == row.version for row in synced)


def test_a_lost_answer_is_retried_and_the_objects_octy_made_are_adopted(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 10}
    make_customers(30)
    octy.garble(PROFILES)  # the first batch is created, its answer cut short

    first = run("octy_resync", "profile")

    # Retried, not failed: pushed again in this run once its backoff passed, or left pending.
    assert not Profile.objects.filter(state=SyncState.FAILED).exists()
    assert not SyncError.objects.exists()
    assert Profile.objects.filter(state=SyncState.SYNCED).count() >= 20
    if first.code:
        assert first.code == 3 and "objects are still pending" in first.stderr
        assert all(row.create_sent for row in Profile.objects.filter(state=SyncState.PENDING))
        assert run("octy_resync", "profile").code == 0
    assert len(octy.profiles) == 30
    synced = Profile.objects.filter(state=SyncState.SYNCED)
    assert synced.count() == 30
    assert all(row.octy_id == octy.profiles[row.customer_id]["profile_id"] for row in synced)


def test_a_lease_taken_over_mid_push_is_not_settled_by_the_late_push(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 10, "RESYNC_CONCURRENCY": 2}
    make_customers(30)
    taken: list[int] = []
    lock = threading.Lock()

    def take_over_the_second_batch(rows: list[Profile], **_: Any) -> None:
        with lock:
            taken.append(len(taken))
            if len(taken) != 2:
                return
        # The lease ran out and another flusher claimed the rows: its token now.
        Profile.objects.filter(pk__in=[row.pk for row in rows]).update(lease_token=uuid.uuid4())
        connections.close_all()

    pre_push.connect(take_over_the_second_batch, dispatch_uid="take-over")
    try:
        result = run("octy_resync", "profile")
    finally:
        pre_push.disconnect(dispatch_uid="take-over")

    assert result.code == 3
    assert Profile.objects.filter(state=SyncState.SYNCED).count() == 20
    # The late push did not mark the rows synced: they are due again, with a new version.
    again = Profile.objects.exclude(state=SyncState.SYNCED)
    assert again.count() == 10
    assert all(row.state == SyncState.PENDING and row.version == 2 for row in again)
    assert len(octy.profiles) == 30


def test_a_mapping_error_mid_chunk_names_the_object_and_the_rest_is_pushed(
    octy: FakeOcty,
) -> None:
    Product.objects.bulk_create(
        Product(sku=f"sku-{n}", name=f"Tent {n}", category="" if n == 5 else "tents", price=1)
        for n in range(10)
    )

    result = run("octy_resync", "item")

    assert result.code == 3
    assert "1 host objects could not be mapped" in result.stderr
    (error,) = SyncError.objects.filter(operation=Operation.MAP)
    bad = Product.objects.get(sku="sku-5")
    assert error.identifier == f"shop.Product pk={bad.pk}"
    assert "item_category" in error.reason
    assert [entry.objects for entry in octy.request_log if "items/create" in entry.path] == [9]
    assert set(octy.items) == {f"sku-{n}" for n in range(10)} - {"sku-5"}


def test_staging_leases_no_more_than_the_batches_in_flight(octy: FakeOcty, settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 10}
    make_customers(60)
    octy.in_flight.hold()
    resync = ("octy_resync", "profile", "--concurrency", "3")
    with running(*resync, then=octy.in_flight.release) as finished:
        assert octy.in_flight.wait_for(3), "three batches were never in flight at once"
        # The next chunk may be staged, but not leased, while three answers are held.
        assert Profile.objects.exclude(lease_token=None).count() == 30

    assert finished and finished[0].code == 0, finished
    assert octy.in_flight.peak == 3
    assert Counter(sent_ids(octy)) == Counter({str(c.pk): 1 for c in Customer.objects.all()})


def test_rows_another_flusher_holds_are_left_to_it(octy: FakeOcty) -> None:
    make_customers(5)
    customer = Customer.objects.order_by("pk")[2]
    held = Profile(  # a row another flusher is pushing
        customer_id=str(customer.pk),
        source_type=ContentType.objects.get_for_model(Customer),
        source_id=str(customer.pk),
        lease_token=uuid.uuid4(),
        leased_until=timezone.now() + timedelta(hours=1),
    )
    Profile.objects.bulk_create([held])

    result = run("octy_resync", "profile")

    assert result.code == 3  # the held row stays pending: its flusher settles it
    assert sorted(sent_ids(octy)) == sorted(
        str(c.pk) for c in Customer.objects.exclude(pk=customer.pk)
    )
    row = Profile.objects.get(customer_id=str(customer.pk))
    assert (
        row.state == SyncState.PENDING and row.version == 2 and row.lease_token == held.lease_token
    )


def test_events_octy_had_are_not_pushed_again(octy: FakeOcty) -> None:
    make_customers(3)
    product = Product.objects.create(sku="tent", name="Tent", category="tents", price=1)
    Order.objects.bulk_create(Order(customer=c, paid=True) for c in Customer.objects.all())
    OrderLine.objects.bulk_create(OrderLine(order=o, product=product) for o in Order.objects.all())
    assert run("octy_resync").code == 0
    assert len(octy.events) == 3 and Event.objects.filter(state=SyncState.SYNCED).count() == 3

    assert run("octy_resync").code == 0

    assert len(octy.events) == 3
    assert Event.objects.count() == 3
