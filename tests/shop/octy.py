"""The shop's Octy sources: customers are profiles, products are items, paid orders are events."""

from __future__ import annotations

from typing import Any

from django_octy import sources

from .models import Customer, Order, Product


@sources.register(Customer)
class CustomerSource(sources.ProfileSource[Customer]):
    customer_id_field = "pk"
    profile_data_fields = ("first_name", "city")
    m2m_fields = ("tags",)

    def profile_data(self, customer: Customer) -> dict[str, Any]:
        tags = sorted(customer.tags.values_list("name", flat=True))
        return {**super().profile_data(customer), "tags": tags}

    def has_charged(self, customer: Customer) -> bool:
        return customer.orders.filter(paid=True).exists()


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

    def should_record(self, order: Order) -> bool:
        return order.paid

    def events(self, order: Order) -> list[sources.EventData]:
        return [
            sources.EventData(
                customer=order.customer,
                properties={"item_id": line.product.sku, "payment_method": order.payment_method},
                created_at=order.paid_at,
                key=str(line.pk),
            )
            for line in order.lines.select_related("product")
        ]
