"""Recording host changes as pending mirror rows, in the host's transaction (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext

import django_octy
from django_octy import sources
from django_octy.models import Event, EventType, Item, Operation, Profile, SyncError, SyncState
from django_octy.sync.pending import requeue_failed
from tests.shop.models import Customer, Order, OrderLine, Product, Tag
from tests.shop.octy import CustomerSource, ProductSource

pytestmark = pytest.mark.django_db


def profile_of(customer: Customer) -> Profile:
    return Profile.objects.get(source_id=str(customer.pk))


def test_a_save_records_a_pending_profile_with_the_mapped_values() -> None:
    customer = Customer.objects.create(email="ann@example.com", first_name="Ann", city="Oslo")

    profile = profile_of(customer)
    assert profile.customer_id == str(customer.pk)
    assert profile.profile_data == {"first_name": "Ann", "city": "Oslo", "tags": []}
    assert profile.has_charged is False
    assert (profile.state, profile.version, profile.synced_version) == (SyncState.PENDING, 1, 0)
    assert profile.source == customer


def test_each_save_bumps_the_version_with_one_update(django_assert_max_num_queries: Any) -> None:
    customer = Customer.objects.create(email="ann@example.com", first_name="Ann")
    Profile.objects.filter(pk=profile_of(customer).pk).update(state=SyncState.SYNCED)
    customer.city = "Bergen"
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        customer.save()
    mirror_writes = [q for q in queries if "django_octy_profile" in q["sql"]]
    assert len(mirror_writes) == 1 and mirror_writes[0]["sql"].startswith("UPDATE")

    profile = profile_of(customer)
    assert profile.state == SyncState.PENDING
    assert profile.version == 2
    assert profile.profile_data["city"] == "Bergen"


def test_decimal_prices_become_minor_units() -> None:
    Product.objects.create(sku="TEA", name="Tea", category="drinks", price=Decimal("19.99"))
    item = Item.objects.get()
    assert (item.item_id, item.item_price, item.item_name) == ("TEA", 1999, "Tea")
    assert sources.to_minor_units(Decimal("0.005")) == 1


def test_a_failing_mapping_keeps_the_host_save_and_names_the_object_and_field() -> None:
    class Broken(sources.ProfileSource[Customer]):
        def has_charged(self, customer: Customer) -> bool:
            raise RuntimeError("orders table unavailable")

    customer = Customer.objects.create(email="ann@example.com")
    sources.unregister(Customer)
    sources.register(Customer)(Broken)
    try:
        customer.first_name = "Ann"
        customer.save()
    finally:
        sources.unregister(Customer)
        sources.register(Customer)(CustomerSource)

    assert Customer.objects.get().first_name == "Ann"
    profile = profile_of(customer)
    assert profile.state == SyncState.FAILED
    expected = f"shop.Customer pk={customer.pk}: field 'has_charged'"
    assert expected in profile.last_error
    assert "orders table unavailable" in profile.last_error
    error = SyncError.objects.get()
    assert (error.operation, error.row_id, error.entity) == (Operation.MAP, profile.pk, "profile")
    assert expected in error.reason


def test_an_invalid_value_fails_before_any_row_exists() -> None:
    Product.objects.create(sku="TEA", name="", category="drinks", price=Decimal(1))

    assert not Item.objects.exists()
    error = SyncError.objects.get()
    assert "shop.Product pk=" in error.reason
    assert "field 'item_name'" in error.reason
    assert "cannot be blank" in error.reason


def test_a_bad_amount_names_the_price_field() -> None:
    product = Product(sku="TEA", name="Tea", category="drinks", price=Decimal(1))
    product.price = "free"  # type: ignore[assignment]
    with pytest.raises(sources.MappingError, match="field 'item_price': ValueError: 'free'"):
        ProductSource(Product).map(product)


def test_deleting_a_never_synced_object_removes_its_row_and_a_synced_one_is_deleted_in_octy() -> (
    None
):
    fresh = Customer.objects.create(email="fresh@example.com")
    synced = Customer.objects.create(email="synced@example.com")
    synced_id = str(synced.pk)
    Profile.objects.filter(source_id=synced_id).update(octy_id="p1", state=SyncState.SYNCED)

    fresh.delete()
    synced.delete()

    assert list(Profile.objects.values_list("customer_id", "state", "deletion_requested")) == [
        (synced_id, SyncState.DELETE_PENDING, True)
    ]


def test_many_to_many_changes_resync_from_both_sides() -> None:
    customer = Customer.objects.create(email="ann@example.com")
    vip = Tag.objects.create(name="vip")

    customer.tags.add(vip)
    assert profile_of(customer).profile_data["tags"] == ["vip"]

    vip.customers.remove(customer)
    assert profile_of(customer).profile_data["tags"] == []

    customer.tags.add(vip)
    vip.customers.clear()
    assert profile_of(customer).profile_data["tags"] == []
    assert profile_of(customer).version == 5


def paid_order(customer: Customer, *skus: str) -> Order:
    order = Order.objects.create(customer=customer, payment_method="card")
    for sku in skus:
        product, _ = Product.objects.get_or_create(
            sku=sku, defaults={"name": sku, "category": "c", "price": Decimal(1)}
        )
        OrderLine.objects.create(order=order, product=product)
    order.paid = True
    order.paid_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    order.save()
    return order


def test_a_paid_order_records_one_event_per_line_once() -> None:
    customer = Customer.objects.create(email="ann@example.com")
    order = Order.objects.create(customer=customer)
    assert not Event.objects.exists()

    order = paid_order(customer, "TEA", "CUP")
    order.save()
    order.save()

    events = Event.objects.order_by("pk")
    assert [e.event_properties["item_id"] for e in events] == ["TEA", "CUP"]
    assert {e.profile_id for e in events} == {profile_of(customer).pk}
    assert all(e.state == SyncState.PENDING and e.event_type == "charged" for e in events)
    assert events[0].occurred_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_an_event_of_an_unregistered_customer_names_the_field() -> None:
    class TagEvents(sources.EventSource[Tag]):
        event_type = "tagged"

        def events(self, tag: Tag) -> list[sources.EventData]:
            return [sources.EventData(customer=tag)]

    sources.register(Tag)(TagEvents)
    try:
        tag = Tag.objects.create(name="vip")
    finally:
        sources.unregister(Tag)
    assert not Event.objects.exists()
    assert SyncError.objects.get().reason == (
        f"shop.Tag pk={tag.pk}: field 'customer': shop.Tag is not registered with a ProfileSource"
    )


def test_track_records_ad_hoc_events_and_dedupes_by_key() -> None:
    customer = Customer.objects.create(email="ann@example.com")

    first = django_octy.track(customer, "login", {"device": "ios"}, key="session-1")
    again = django_octy.track(customer, "login", {"device": "ios"}, key="session-1")
    by_id = django_octy.track("guest-7", "login")

    assert first.pk == again.pk
    assert Event.objects.count() == 2
    assert Profile.objects.get(pk=by_id.profile_id).customer_id == "guest-7"
    with pytest.raises(ValueError, match="'event_type'"):
        django_octy.track(customer, "")


def test_mark_dirty_maps_objects_that_skipped_signals_in_few_queries(
    django_assert_max_num_queries: Any,
) -> None:
    Customer.objects.bulk_create(
        [Customer(email=f"c{i}@example.com", first_name="x") for i in range(1000)]
    )
    assert not Profile.objects.exists()

    # The shop's mapping runs two queries per customer (tags, orders); the
    # recording itself a handful per 500 (SQLite splits a bulk insert into
    # statements of 999 parameters: about 30 per 1,000 rows).
    with django_assert_max_num_queries(2 * 1000 + 40):
        assert django_octy.mark_dirty(Customer.objects.all()) == 1000
    assert Profile.objects.filter(state=SyncState.PENDING).count() == 1000

    Customer.objects.update(first_name="y")
    Profile.objects.update(state=SyncState.SYNCED)
    with django_assert_max_num_queries(2 * 1000 + 40):
        django_octy.mark_dirty(list(Customer.objects.all()))
    assert set(Profile.objects.values_list("state", "version", "profile_data__first_name")) == {
        (SyncState.PENDING, 2, "y")
    }


def test_saving_a_mirror_row_directly_is_a_change_that_keeps_the_bookkeeping() -> None:
    profile = Profile.objects.create(customer_id="direct-1")
    assert (profile.state, profile.version) == (SyncState.PENDING, 1)
    Profile.objects.filter(pk=profile.pk).update(state=SyncState.SYNCED, octy_id="p1")

    profile.profile_data = {"plan": "gold"}
    profile.save()  # the loaded instance still says octy_id=None

    profile.refresh_from_db()
    assert (profile.octy_id, profile.state, profile.version) == ("p1", SyncState.PENDING, 2)

    profile.churn_probability = "high"
    profile.save(update_fields=["churn_probability"])
    profile.refresh_from_db()
    assert profile.version == 2


def test_requeue_failed_gives_fresh_attempts_and_keeps_a_removal_a_removal() -> None:
    Profile.objects.create(customer_id="a")
    Profile.objects.create(customer_id="b")
    Profile.objects.update(state=SyncState.FAILED, attempts=10)
    Profile.objects.filter(customer_id="b").update(deletion_requested=True)

    assert requeue_failed(Profile.objects.all()) == 2
    assert set(Profile.objects.values_list("customer_id", "state", "attempts")) == {
        ("a", SyncState.PENDING, 0),
        ("b", SyncState.DELETE_PENDING, 0),
    }


def test_sources_are_discovered_from_octy_modules() -> None:
    from django_octy.sync.registry import registry

    assert [type(s).__name__ for s in registry.sources_for(Customer)] == ["CustomerSource"]
    with pytest.raises(sources.AlreadyRegistered):
        sources.register(Customer)(sources.ProfileSource)


def test_event_type_declared_by_a_source_is_recorded() -> None:
    from django_octy.sync.recording import declare_event_types

    declare_event_types()
    declare_event_types()
    assert list(EventType.objects.values_list("event_type", "event_properties")) == [
        ("charged", ["item_id", "payment_method"])
    ]
