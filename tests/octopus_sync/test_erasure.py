"""Erasure: once a target confirms a delete the mirror forgets the person; ``erase()`` asks
every target (Octy and the Octopus CRM) and leaves a record without personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from django_octy import erase, track
from django_octy.erasure import subject_of
from django_octy.models import Erasure, Event, OctopusEntry, Profile, SyncError, SyncState
from django_octy.sync.flush import flush_all
from django_octy.sync.recording import source_ref
from django_octy.testing import FakeOctopus, FakeOcty
from tests.shop.models import Customer, Order, OrderLine, Product

pytestmark = pytest.mark.django_db(transaction=True)

PAYMENT = {"item_id": "sku-1", "payment_method": "visa"}


def ann() -> Customer:
    return Customer.objects.create(email="ann@example.com", first_name="Ann", city="Oslo")


def test_a_confirmed_profile_delete_scrubs_the_profile_and_its_events(octy: FakeOcty) -> None:
    customer = ann()
    track(customer, "charged", PAYMENT, key="order-1")
    assert not flush_all().stopped
    profile = Profile.objects.get()
    SyncError.objects.create(entity="profile", row_id=profile.pk, operation="update", reason="Ann")

    customer.delete()
    waiting = Profile.objects.get()
    assert waiting.state == SyncState.DELETE_PENDING and waiting.profile_data["first_name"] == "Ann"
    flush_all()

    gone = Profile.objects.get()
    assert gone.state == SyncState.DELETED and str(customer.pk) not in octy.profiles
    assert (gone.profile_data, gone.platform_info, gone.remote) == ({}, {}, {})
    assert list(Event.objects.values_list("event_properties", "remote")) == [({}, {})]
    assert not SyncError.objects.filter(entity="profile", row_id=profile.pk).exists()


def test_erase_deletes_from_both_targets_and_records_each_confirmation(
    crm: FakeOctopus, octy: FakeOcty, customers_as_individuals: None
) -> None:
    customer = ann()
    track(customer, "charged", PAYMENT, key="order-1")
    assert not flush_all().stopped
    identity = str(OctopusEntry.objects.get().octy_id)
    assert identity in crm.entries and str(customer.pk) in octy.profiles

    erasure = erase(customer)

    profile, entry = Profile.objects.get(), OctopusEntry.objects.get()
    assert profile.profile_data == {} and entry.data == {} and entry.remote == {}
    assert Event.objects.get().event_properties == {}, "scrubbed at once, not after the flush"
    assert (erasure.octy_confirmed_at, erasure.octopus_confirmed_at) == (None, None)
    assert not erasure.complete
    assert not flush_all().stopped

    erasure.refresh_from_db()
    assert str(customer.pk) not in octy.profiles and identity not in crm.entries
    assert erasure.octy_confirmed_at is not None and erasure.octopus_confirmed_at is not None
    assert erasure.complete and erasure.subject == subject_of(customer)
    assert (erasure.profile_row, erasure.octopus_row) == (profile.pk, entry.pk)
    stored = str(Erasure.objects.values().get())
    assert "ann" not in stored.lower() and "Oslo" not in stored and customer.email not in stored


def test_erasing_a_customer_no_target_has_yet_is_complete_at_once(octy: FakeOcty) -> None:
    customer = ann()
    track(customer, "charged", PAYMENT, key="order-1")

    erasure = erase(customer)

    assert not Profile.objects.exists() and not Event.objects.exists()
    assert erasure.complete and erasure.octy_confirmed_at is not None
    flush_all()
    assert not octy.profiles, "nothing of the customer was sent"
    assert not octy.events


def paid_order(customer: Customer) -> Order:
    order = Order.objects.create(customer=customer, payment_method="visa")
    product = Product.objects.create(sku="sku-1", name="Tea", category="drinks", price=2)
    OrderLine.objects.create(order=order, product=product)
    order.paid, order.paid_at = True, datetime(2024, 5, 1, 12, tzinfo=UTC)
    order.save()
    return order


@pytest.mark.parametrize("synced_before", [False, True])
def test_saves_waiting_in_the_change_log_are_erased_with_the_rest(
    octy: FakeOcty, synced_before: bool
) -> None:
    """Mapped after the erasure, the customer's last save, or their order's, would send them
    to Octy again."""
    customer = ann()
    if synced_before:
        assert not flush_all().stopped
        customer.city = "Bergen"
        customer.save()
    paid_order(customer)

    erasure = erase(customer)
    assert erasure.complete is not synced_before, "complete at once when Octy never had them"
    flush_all()

    assert str(customer.pk) not in octy.profiles and not octy.events
    assert not Event.objects.exists()
    states = set(Profile.objects.values_list("state", flat=True))
    assert states == ({SyncState.DELETED} if synced_before else set())
    erasure.refresh_from_db()
    assert erasure.complete


def test_events_waiting_for_the_flush_are_never_sent(octy: FakeOcty) -> None:
    customer = ann()
    assert not flush_all().stopped
    track(customer, "charged", PAYMENT, key="order-2")

    erase(customer)
    flush_all()

    assert not Event.objects.exists() and not octy.events
    assert Profile.objects.get().state == SyncState.DELETED


def test_erase_takes_the_anonymous_profiles_octy_merged_into_the_customer(
    octy: FakeOcty,
) -> None:
    customer = ann()
    track("anon-1", "charged", PAYMENT, key="anon-order")
    assert not flush_all().stopped
    main = Profile.objects.get(**source_ref(customer))
    Profile.objects.filter(customer_id="anon-1").update(parent=main)

    erase(customer)
    flush_all()

    assert set(Profile.objects.values_list("state", flat=True)) == {SyncState.DELETED}
    assert "anon-1" not in octy.profiles
    assert Event.objects.get().event_properties == {}


@pytest.mark.parametrize("given", ["customer_id", "profile"])
def test_erase_takes_a_customer_id_or_a_profile(octy: FakeOcty, given: str) -> None:
    track("visitor-9", "charged", PAYMENT, key="v9")
    assert not flush_all().stopped
    profile = Profile.objects.get()
    customer: Any = profile if given == "profile" else "visitor-9"

    erasure = erase(customer)
    flush_all()

    assert "visitor-9" not in octy.profiles
    erasure.refresh_from_db()
    assert erasure.complete and erasure.subject == subject_of("visitor-9")
    assert erasure.octopus_row is None
