"""What the shop sends to Octy, and to its CRM.

Customers are profiles, products are catalogue items, and paid orders, page
views and logins are customer events. Event types, segments and message
templates are declared in ``example_project/definitions/`` (applied with
``manage.py octy_apply``). Customers are also Individual entries of the
shop's Maximizer CRM, through its Octopus API (when ``OCTOPUS`` is configured).
"""

from __future__ import annotations

from typing import Any

from django_octy import sources
from django_octy.models import EntryType

from .models import Customer, Login, Order, PageView, Product


@sources.register(Customer)
class CustomerSource(sources.ProfileSource[Customer]):
    customer_id_field = "pk"
    profile_data_fields = ("first_name", "gender", "age", "city")
    platform_info_fields = ("os",)

    def profile_data(self, customer: Customer) -> dict[str, Any]:
        # Octy merges anonymous profiles into the one carrying this key (an account setting).
        return {**super().profile_data(customer), "shop-id-key": customer.user.get_username()}

    def platform_info(self, customer: Customer) -> dict[str, Any]:
        return {**super().platform_info(customer), "using_vpn": customer.uses_vpn}

    def has_charged(self, customer: Customer) -> bool:
        return customer.orders.filter(paid_at__isnull=False).exists()


@sources.register(Customer)
class CustomerEntrySource(sources.OctopusEntrySource[Customer]):
    """The customer as an Individual in the CRM; the shop has no last name, the CRM needs one."""

    kind = EntryType.INDIVIDUAL

    def data(self, customer: Customer) -> dict[str, Any]:
        return {
            "FirstName": customer.first_name,
            "LastName": customer.user.get_username(),
            "Email": customer.user.email,
        }


@sources.register(Product)
class ProductSource(sources.ItemSource[Product]):
    item_id_field = "sku"
    item_name_field = "name"
    item_category_field = "category"
    item_description_field = "description"
    item_price_field = "price"


@sources.register(Order)
class PaidOrderSource(sources.EventSource[Order]):
    """A paid order is one ``charged`` event per line: what Octy's recommendations learn from."""

    event_type = "charged"
    event_properties = ("item_id", "payment_method")

    def should_record(self, order: Order) -> bool:
        return order.is_paid

    def events(self, order: Order) -> list[sources.EventData]:
        return [
            sources.EventData(
                customer=order.customer,
                properties={"item_id": line.product.sku, "payment_method": order.payment_method},
                created_at=order.paid_at,
                key=str(line.pk),
            )
            for line in order.lines.all()
        ]


@sources.register(PageView)
class PageViewSource(sources.EventSource[PageView]):
    event_type = "page_view"
    event_properties = ("path", "item_id")
    created_at_field = "viewed_at"

    def events(self, view: PageView) -> list[sources.EventData]:
        item_id = view.product.sku if view.product else ""
        return [
            sources.EventData(
                customer=view.customer,
                properties={"path": view.path, "item_id": item_id},
                created_at=view.viewed_at,
            )
        ]


@sources.register(Login)
class LoginSource(sources.EventSource[Login]):
    event_type = "login"
    event_properties = ("device", "time")

    def events(self, login: Login) -> list[sources.EventData]:
        return [
            sources.EventData(
                customer=login.customer,
                properties={"device": login.device, "time": login.logged_in_at.isoformat()},
                created_at=login.logged_in_at,
            )
        ]
