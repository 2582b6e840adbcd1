"""The shop's sources: customers are profiles, products are items, paid orders are events
in Octy; companies and their people are Company and Contact entries in the Octopus CRM.

``CustomerEntrySource`` (customers as Individual entries) is registered by the
tests that sync customers to both targets, so that the Octy tests' customers go
to Octy only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.db.models import Prefetch

from django_octy import sources
from django_octy.models import EntryType

from .models import Company, Customer, Order, OrderLine, Person, Product


@sources.register(Customer)
class CustomerSource(sources.ProfileSource[Customer]):
    customer_id_field = "pk"
    profile_data_fields = ("first_name", "city")
    m2m_fields = ("tags",)
    modified_field = "updated_at"
    prefetch_related = (
        "tags",
        Prefetch("orders", Order.objects.filter(paid=True).only("customer"), "paid_orders"),
    )

    def profile_data(self, customer: Customer) -> dict[str, Any]:
        tags = sorted(tag.name for tag in customer.tags.all())
        return {**super().profile_data(customer), "tags": tags}

    def has_charged(self, customer: Customer) -> bool:
        paid: list[Order] | None = getattr(customer, "paid_orders", None)  # read by a resync
        return bool(paid) if paid is not None else customer.orders.filter(paid=True).exists()


@sources.register(Product)
class ProductSource(sources.ItemSource[Product]):
    item_id_field = "sku"
    item_name_field = "name"
    item_category_field = "category"
    item_description_field = "description"
    item_price_field = "price"


@sources.register(Order)
class OrderSource(sources.EventSource[Order]):
    event_type = "charged"
    event_properties = ("item_id", "payment_method")
    modified_field = "updated_at"
    prefetch_related = (
        Prefetch("lines", OrderLine.objects.select_related("product"), "lines_with_products"),
    )

    def should_record(self, order: Order) -> bool:
        return order.paid

    def events(self, order: Order) -> list[sources.EventData]:
        lines: list[OrderLine] | None = getattr(order, "lines_with_products", None)  # a resync's
        if lines is None:
            lines = list(order.lines.select_related("product"))
        return [
            sources.EventData(
                customer=order.customer,
                properties={"item_id": line.product.sku, "payment_method": order.payment_method},
                created_at=order.paid_at,
                key=str(line.pk),
            )
            for line in lines
        ]


@sources.register(Company)
class CompanySource(sources.OctopusEntrySource[Company]):
    kind = EntryType.COMPANY
    data_fields: ClassVar[Mapping[str, str]] = {"CompanyName": "name", "Phone": "phone"}


@sources.register(Person)
class PersonSource(sources.OctopusEntrySource[Person]):
    kind = EntryType.CONTACT
    data_fields: ClassVar[Mapping[str, str]] = {
        "FirstName": "first_name",
        "LastName": "last_name",
        "Email": "email",
    }
    parent_field = "company"


class CustomerEntrySource(sources.OctopusEntrySource[Customer]):
    kind = EntryType.INDIVIDUAL
    # The shop keeps no last name, which Octopus requires: the e-mail address stands in.
    data_fields: ClassVar[Mapping[str, str]] = {
        "FirstName": "first_name",
        "LastName": "email",
        "Email": "email",
    }
