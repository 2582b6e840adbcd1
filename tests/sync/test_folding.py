"""Folding the change log: what no crash, race or bad object may do to a change.

The promise: a change is always in the log or in its mirror rows. The faults
that would break it are forced here deterministically: a fold that dies
between mapping and forgetting, a save committed while a fold holds its
chunk, two folders at once, an object whose source raises outside its
mapping, a change of a model that is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from django_octy import sources
from django_octy.models import Event, HostChange, Profile, SyncError, SyncState
from django_octy.sync import folding
from django_octy.sync.folding import fold_changes
from tests.shop.models import Customer, Order, OrderLine, Product
from tests.shop.octy import CustomerSource
from tests.threads import run_in_thread

from .conftest import is_postgres, wait_until

pytestmark = pytest.mark.django_db


class Crash(BaseException):
    """A worker killed mid-fold: not an ``Exception``, so nothing inside catches it."""


def test_a_fold_that_dies_before_it_forgets_leaves_every_change_in_the_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    everyone = [Customer.objects.create(email=f"c{n}@example.com") for n in range(3)]

    def die(changes: list[int]) -> None:
        raise Crash

    monkeypatch.setattr(folding, "forget", die)
    with pytest.raises(Crash):
        fold_changes()
    monkeypatch.undo()

    assert HostChange.objects.count() == 3 and not Profile.objects.exists()
    assert fold_changes() == 3
    assert sorted(Profile.objects.values_list("customer_id", flat=True)) == sorted(
        str(c.pk) for c in everyone
    )


def test_an_object_whose_source_raises_outside_its_mapping_fails_alone() -> None:
    class Picky(CustomerSource):
        def should_sync(self, customer: Customer) -> bool:
            if customer.email.startswith("bad"):
                raise RuntimeError("the shop's own bug")
            return True

    good = Customer.objects.create(email="good@example.com")
    bad = Customer.objects.create(email="bad@example.com")
    sources.unregister(Customer)
    sources.register(Customer)(Picky)
    try:
        assert fold_changes() == 2
    finally:
        sources.unregister(Customer)
        sources.register(Customer)(CustomerSource)

    assert list(Profile.objects.values_list("customer_id", "state")) == [
        (str(good.pk), SyncState.PENDING)
    ]
    error = SyncError.objects.get()
    assert error.identifier == f"shop.Customer pk={bad.pk}"
    assert "RuntimeError: the shop's own bug" in error.reason
    assert not HostChange.objects.exists()


def test_changes_of_models_that_are_gone_are_dropped_and_the_rest_fold() -> None:
    customer = Customer.objects.create(email="ann@example.com")
    stale = ContentType.objects.create(app_label="removed_app", model="removedmodel")
    deleted = ContentType.objects.create(app_label="removed_app", model="othermodel")
    HostChange.objects.create(content_type=stale, object_id="1")  # its model left the code
    HostChange.objects.create(content_type=deleted, object_id="1")
    with connection.cursor() as cursor:  # its content type left the database, unseen
        cursor.execute("DELETE FROM django_content_type WHERE id = %s", [deleted.pk])
    ContentType.objects.clear_cache()

    assert fold_changes() == 3
    assert list(Profile.objects.values_list("customer_id", flat=True)) == [str(customer.pk)]
    assert not HostChange.objects.exists()


@pytest.fixture
def hold_fold(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Hold the first fold between reading its chunk and mapping it, until released."""
    holding, release = threading.Event(), threading.Event()
    real: Callable[..., Any] = folding.changed_objects
    first = [True]

    def held(keys: Any) -> Any:
        if first[0] and threading.current_thread() is not threading.main_thread():
            first[0] = False
            holding.set()
            assert release.wait(30)
        return real(keys)

    monkeypatch.setattr(folding, "changed_objects", held)
    yield holding, release
    release.set()


@pytest.mark.skipif(not is_postgres, reason="needs PostgreSQL (row locks, SKIP LOCKED)")
@pytest.mark.django_db(transaction=True)
def test_a_save_committed_while_a_fold_holds_its_chunk_is_folded_later_as_it_is(
    hold_fold: tuple[threading.Event, threading.Event],
) -> None:
    holding, release = hold_fold
    ann = Customer.objects.create(email="ann@example.com", city="Oslo")
    folder = run_in_thread(fold_changes)
    assert holding.wait(30)

    ann.city = "Bergen"
    ann.save()  # commits at once: the fold's locks are on the log rows it read
    release.set()
    folder.join(30)

    assert list(HostChange.objects.values_list("object_id", flat=True)) == [str(ann.pk)]
    fold_changes()
    profile = Profile.objects.get()
    assert profile.profile_data["city"] == "Bergen"
    assert not HostChange.objects.exists()


@pytest.mark.skipif(not is_postgres, reason="needs PostgreSQL (row locks, SKIP LOCKED)")
@pytest.mark.django_db(transaction=True)
def test_two_folders_take_disjoint_chunks_and_fold_every_change_once(
    hold_fold: tuple[threading.Event, threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folding, "FOLD_CHUNK", 5)
    everyone = [Customer.objects.create(email=f"c{n}@example.com") for n in range(12)]
    holding, release = hold_fold
    folder = run_in_thread(fold_changes)
    assert holding.wait(30)

    assert fold_changes() == 7  # all but the chunk the other folder holds
    release.set()
    folder.join(30)

    assert not HostChange.objects.exists()
    versions = dict(Profile.objects.values_list("customer_id", "version"))
    assert versions == {str(c.pk): 1 for c in everyone}


def blocked_on_a_lock() -> bool:
    """Whether another connection waits on a row or key lock (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        (waiting,) = cursor.fetchone()
    return bool(waiting)


@pytest.mark.skipif(not is_postgres, reason="needs PostgreSQL (row locks, SKIP LOCKED)")
@pytest.mark.django_db(transaction=True)
def test_a_folder_needing_a_profile_another_is_inserting_waits_for_it_and_reports_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Folder A maps a new customer and is held before it commits; folder B maps the
    customer's paid order, whose events need the customer's profile: B makes it too, waits
    on A's key, and must then take A's row rather than report the key as another object's."""
    monkeypatch.setattr(folding, "FOLD_CHUNK", 1)
    ann = Customer.objects.create(email="ann@example.com", city="Oslo")
    order = Order.objects.create(customer=ann, payment_method="card")
    product = Product.objects.create(sku="TEA", name="Tea", category="c", price=Decimal(1))
    OrderLine.objects.create(order=order, product=product)
    order.paid = True
    order.save()
    HostChange.objects.exclude(object_id=str(ann.pk), content_type__model="customer").exclude(
        object_id=str(order.pk), content_type__model="order"
    ).delete()  # the product's change: mapped elsewhere, not part of the race
    inserted, release = threading.Event(), threading.Event()
    real_forget = folding.forget

    def forget_when_released(changes: list[int]) -> None:
        if threading.current_thread().name == "folder-a":
            inserted.set()
            assert release.wait(30)
        real_forget(changes)

    monkeypatch.setattr(folding, "forget", forget_when_released)

    folder_a = run_in_thread(lambda: folding.fold_chunk(last=10**18), "folder-a")
    assert inserted.wait(30)
    folder_b = run_in_thread(lambda: folding.fold_chunk(last=10**18), "folder-b")
    wait_until(blocked_on_a_lock, timeout=30, what="folder B waiting on folder A's new row")
    release.set()
    folder_a.join(30)
    folder_b.join(30)

    assert not SyncError.objects.exists()
    assert list(Profile.objects.values_list("state", "profile_data__city")) == [
        (SyncState.PENDING, "Oslo")
    ]
    assert Event.objects.get().profile_id == Profile.objects.get().pk
