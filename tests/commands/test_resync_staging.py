"""A resync's staging reads what a source's mapping needs a chunk at a time
(``Source.prefetch_related``), with the same result as a save."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_octy.models import Event, Profile
from django_octy.sync.folding import fold_changes
from django_octy.sync.registry import registry
from django_octy.sync.resync import stage_source
from tests.shop.models import Customer, Order, OrderLine, Product, Tag

pytestmark = pytest.mark.django_db(transaction=True)


def make_shop(customers: int) -> None:
    """``customers`` customers (every other one tagged and with a paid order), no mirror rows."""
    vip = Tag.objects.create(name="vip")
    product = Product.objects.create(sku="tent", name="Tent", price=Decimal("9.90"))
    Customer.objects.bulk_create(Customer(email=f"{n}@example.com") for n in range(customers))
    Profile.objects.all().delete()
    Event.objects.all().delete()
    for customer in Customer.objects.all()[::2]:
        customer.tags.add(vip)
        Order.objects.bulk_create([Order(customer=customer, paid=True, paid_at=timezone.now())])
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=product) for order in Order.objects.all()
    )
    Profile.objects.all().delete()
    Event.objects.all().delete()


def staging_queries(model: type, chunk_size: int = 500) -> int:
    (source,) = [s for s in registry.all() if s.model is model]
    ContentType.objects.get_for_model(model)  # cached from here on: not counted
    with CaptureQueriesContext(connection) as queries:
        stage_source(source, timezone.now(), chunk_size, lambda count: None)
    return len(queries)


def queries_per_model() -> tuple[int, int]:
    """Queries to stage the customers, then the orders (whose customers have profiles)."""
    return staging_queries(Customer), staging_queries(Order)


def test_staging_queries_do_not_grow_with_the_objects_of_a_chunk() -> None:
    make_shop(10)
    few = queries_per_model()
    Customer.objects.all().delete()
    Tag.objects.all().delete()
    Product.objects.all().delete()
    make_shop(30)  # SQLite splits a bulk INSERT beyond 999 values: stay under

    assert queries_per_model() == few


def test_staged_profiles_and_events_are_those_a_save_records() -> None:
    make_shop(6)
    staging_queries(Customer)
    staging_queries(Order)
    staged = {p.customer_id: (p.profile_data, p.has_charged) for p in Profile.objects.all()}
    events = sorted(
        (e.profile.customer_id, e.event_properties["item_id"]) for e in Event.objects.all()
    )

    Profile.objects.all().delete()
    Event.objects.all().delete()
    for customer in Customer.objects.all():
        customer.save()
    for order in Order.objects.all():
        order.save()
    fold_changes()  # what the saves logged, mapped as a flush maps it

    saved = {p.customer_id: (p.profile_data, p.has_charged) for p in Profile.objects.all()}
    assert staged == saved
    assert [charged for _, charged in staged.values()].count(True) == 3
    assert sorted(data["tags"] for data, _ in staged.values()) == [[]] * 3 + [["vip"]] * 3
    assert (
        sorted((e.profile.customer_id, e.event_properties["item_id"]) for e in Event.objects.all())
        == events
    )
    assert len(events) == 3
