"""Recording host changes: one change-log row in the host's transaction, mapped into
pending mirror rows when the flush folds the log (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext

import django_octy
from django_octy import sources
from django_octy.models import (
    Event,
    EventType,
    HostChange,
    Item,
    Operation,
    Profile,
    SyncError,
    SyncState,
)
from django_octy.sync.folding import fold_changes
from django_octy.sync.pending import requeue_failed
from tests.shop.models import Customer, Order, OrderLine, Product, Tag
from tests.shop.octy import CustomerSource, ProductSource

pytestmark = pytest.mark.django_db


def profile_of(customer: Customer) -> Profile:
    return Profile.objects.get(source_id=str(customer.pk))


def test_a_save_logs_one_change_which_the_fold_maps_into_a_pending_profile() -> None:
    customer = Customer.objects.create(email="ann@example.com", first_name="Ann", city="Oslo")
    change = HostChange.objects.get()
    assert (change.content_type.model_class(), change.object_id) == (Customer, str(customer.pk))
    assert not Profile.objects.exists()

    assert fold_changes() == 1
    assert not HostChange.objects.exists()
    profile = profile_of(customer)
    assert profile.customer_id == str(customer.pk)
    assert profile.profile_data == {"first_name": "Ann", "city": "Oslo", "tags": []}
    assert profile.has_charged is False
    assert (profile.state, profile.version, profile.synced_version) == (SyncState.PENDING, 1, 0)
    assert profile.source == customer


def test_a_save_costs_one_insert_and_a_fold_one_update_for_all_saves_since() -> None:
    customer = Customer.objects.create(email="ann@example.com", first_name="Ann")
    fold_changes()
    Profile.objects.filter(pk=profile_of(customer).pk).update(state=SyncState.SYNCED)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        customer.city = "Bergen"
        customer.save()
    ours = [q["sql"] for q in queries if "django_octy" in q["sql"]]
    assert len(ours) == 1 and ours[0].startswith('INSERT INTO "django_octy_hostchange"')
    customer.city = "Tromsø"
    customer.save()

    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert fold_changes() == 2
    # One lookup, the new values and the pending mark: the same for two saves as for one.
    profile_queries = [q["sql"] for q in queries if "django_octy_profile" in q["sql"]]
    assert len(profile_queries) == 3 and not any("INSERT" in sql for sql in profile_queries)
    profile = profile_of(customer)
    assert profile.state == SyncState.PENDING
    assert profile.version == 2
    assert profile.profile_data["city"] == "Tromsø"


def test_decimal_prices_become_minor_units() -> None:
    Product.objects.create(sku="TEA", name="Tea", category="drinks", price=Decimal("19.99"))
    fold_changes()
    item = Item.objects.get()
    assert (item.item_id, item.item_price, item.item_name) == ("TEA", 1999, "Tea")
    assert sources.to_minor_units(Decimal("0.005")) == 1


def test_a_failing_mapping_keeps_the_host_save_and_names_the_object_and_field() -> None:
    class Broken(sources.ProfileSource[Customer]):
        def has_charged(self, customer: Customer) -> bool:
            raise RuntimeError("orders table unavailable")

    customer = Customer.objects.create(email="ann@example.com")
    fold_changes()
    sources.unregister(Customer)
    sources.register(Customer)(Broken)
    try:
        customer.first_name = "Ann"
        customer.save()
        assert fold_changes() == 1
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
    fold_changes()

    assert not Item.objects.exists() and not HostChange.objects.exists()
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
    fold_changes()
    synced_id = str(synced.pk)
    Profile.objects.filter(source_id=synced_id).update(octy_id="p1", state=SyncState.SYNCED)

    fresh.delete()
    synced.delete()

    assert list(Profile.objects.values_list("customer_id", "state", "deletion_requested")) == [
        (synced_id, SyncState.DELETE_PENDING, True)
    ]


def test_an_object_saved_and_deleted_between_two_flushes_leaves_nothing_to_push() -> None:
    customer = Customer.objects.create(email="brief@example.com")
    customer.delete()

    assert fold_changes() == 1
    assert not Profile.objects.exists() and not SyncError.objects.exists()


def test_a_change_folded_after_a_deletion_the_log_missed_deletes_the_object() -> None:
    customer = Customer.objects.create(email="gone@example.com")
    fold_changes()
    Profile.objects.update(octy_id="p1", state=SyncState.SYNCED)
    django_octy.mark_dirty([customer])
    Customer.objects.filter(pk=customer.pk)._raw_delete(Customer.objects.db)  # no signals

    fold_changes()
    assert list(Profile.objects.values_list("state", "deletion_requested")) == [
        (SyncState.DELETE_PENDING, True)
    ]


def test_many_to_many_changes_resync_from_both_sides() -> None:
    customer = Customer.objects.create(email="ann@example.com")
    vip = Tag.objects.create(name="vip")
    fold_changes()

    customer.tags.add(vip)
    fold_changes()
    assert profile_of(customer).profile_data["tags"] == ["vip"]

    vip.customers.remove(customer)
    fold_changes()
    assert profile_of(customer).profile_data["tags"] == []

    customer.tags.add(vip)
    vip.customers.clear()
    fold_changes()
    assert profile_of(customer).profile_data["tags"] == []
    assert profile_of(customer).version == 4  # one fold, one change of the row


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

    fold_changes()
    assert not Event.objects.exists()

    order = paid_order(customer, "TEA", "CUP")
    fold_changes()
    order.save()
    order.save()
    fold_changes()

    events = Event.objects.order_by("pk")
    assert [e.event_properties["item_id"] for e in events] == ["TEA", "CUP"]
    assert {e.profile_id for e in events} == {profile_of(customer).pk}
    assert all(e.state == SyncState.PENDING and e.event_type == "charged" for e in events)
    assert events[0].occurred_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_an_order_deleted_before_the_flush_keeps_its_events() -> None:
    customer = Customer.objects.create(email="ann@example.com")
    order = paid_order(customer, "TEA", "CUP")
    order.delete()  # its lines go with it

    fold_changes()
    assert sorted(Event.objects.values_list("event_properties__item_id", flat=True)) == [
        "CUP",
        "TEA",
    ]


def test_deleting_an_order_whose_events_were_recorded_records_none_twice() -> None:
    customer = Customer.objects.create(email="ann@example.com")
    order = paid_order(customer, "TEA")
    fold_changes()
    assert Event.objects.count() == 1

    order.delete()
    fold_changes()
    assert Event.objects.count() == 1


def test_an_event_of_an_unregistered_customer_names_the_field() -> None:
    class TagEvents(sources.EventSource[Tag]):
        event_type = "tagged"

        def events(self, tag: Tag) -> list[sources.EventData]:
            return [sources.EventData(customer=tag)]

    sources.register(Tag)(TagEvents)
    try:
        tag = Tag.objects.create(name="vip")
        fold_changes()
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


def test_mark_dirty_logs_objects_that_skipped_signals_and_the_fold_maps_them_in_few_queries(
    django_assert_max_num_queries: Any,
) -> None:
    Customer.objects.bulk_create(
        [Customer(email=f"c{i}@example.com", first_name="x") for i in range(1000)]
    )
    assert not HostChange.objects.exists()

    # The keys are read 500 at a time, and logged in one INSERT per 500.
    with django_assert_max_num_queries(6):
        assert django_octy.mark_dirty(Customer.objects.all()) == 1000
    assert HostChange.objects.count() == 1000 and not Profile.objects.exists()
    # Per 500 changes, about 30 whatever the number of objects: the log, the
    # customers, the shop's two prefetches, the mirror rows, their inserts
    # (SQLite splits them by 999 parameters: 15), the log's delete, savepoints.
    with django_assert_max_num_queries(2 * 30 + 4):
        fold_changes()
    assert Profile.objects.filter(state=SyncState.PENDING).count() == 1000

    Customer.objects.update(first_name="y")
    Profile.objects.update(state=SyncState.SYNCED)
    with django_assert_max_num_queries(4):
        django_octy.mark_dirty(list(Customer.objects.all()))
    fold_changes()
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
