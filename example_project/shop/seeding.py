"""Fake but plausible shop data, in bulk, recorded for Octy with ``mark_dirty``.

``bulk_create`` sends no ``post_save`` signal, so each kind of object is handed
to :func:`django_octy.mark_dirty` once it is written: the way to load data in
bulk in any project that uses django-octy.

Two things make the demo show what an operator meets in production:

- one customer in ten is *lapsed*: all their activity is 45 to 90 days old, so
  Octy rates their churn risk high;
- a few ``wishlist_add`` events are tracked with :func:`django_octy.track`, an
  event type the shop never declared (it is missing from
  ``definitions/event-types.yaml``): Octy refuses each one, and the admin's
  error log shows why, while everything else goes through.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from itertools import islice
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from django_octy import mark_dirty, track

from .models import Customer, Login, Order, OrderLine, PageView, PaymentMethod, Product

CHUNK = 500
DEMO_PASSWORD = "shop-demo"
FIRST_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jade")
CITIES = ("Berlin", "Lagos", "Lima", "London", "Lyon", "Osaka", "Oslo", "Porto", "Toronto")
GENDERS = ("female", "male", "other")
SYSTEMS = ("android", "ios", "linux", "macos", "windows")
CATEGORIES = {
    "Clothing": ("T-Shirt", "Jeans", "Jacket", "Scarf", "Sneakers"),
    "Outdoor": ("Tent", "Backpack", "Sleeping bag", "Lantern", "Water bottle"),
    "Home": ("Mug", "Lamp", "Cushion", "Kettle", "Plant pot"),
    "Books": ("Novel", "Cookbook", "Atlas", "Notebook", "Comic"),
}
COLOURS = ("black", "blue", "green", "grey", "orange", "red", "white", "yellow")
LAPSED_EVERY = 10
"""One customer in this many is lapsed: no activity in the last 45 days."""
LAPSED_DAYS = (45, 90)
UNDECLARED_EVENT_TYPE = "wishlist_add"
REFUSED_EVENTS = 3
"""``wishlist_add`` events tracked: Octy refuses them all (the type was never declared)."""

T = TypeVar("T")
Progress = Callable[[str, int, int], Any]
"""Called with a stage name, the objects just done and the stage's total."""


@dataclass(frozen=True)
class Sizes:
    customers: int = 3000
    products: int = 300
    orders: int = 20000
    page_views: int = 30000
    logins: int = 5000


@dataclass(frozen=True)
class Seeded:
    """How many objects each stage wrote, and the events they record."""

    customers: int
    products: int
    orders: int
    paid_orders: int
    order_lines: int
    charged_events: int
    page_views: int
    logins: int
    lapsed_customers: int
    refused_events: int

    @property
    def events(self) -> int:
        """The events Octy accepts (the refused ones are not among them)."""
        return self.charged_events + self.page_views + self.logins


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Seeder:
    def __init__(self, sizes: Sizes, progress: Progress, seed: int = 42) -> None:
        self.sizes = sizes
        self.progress = progress
        self.random = random.Random(seed)
        self.now = timezone.now()

    def moment(self, days: int = 90) -> Any:
        return self.now - timedelta(seconds=self.random.randrange(days * 24 * 3600))

    def moment_of(self, customer: Customer) -> Any:
        """When ``customer`` did something: within 90 days, or 45 to 90 days ago if lapsed."""
        if customer.pk % LAPSED_EVERY:
            return self.moment()
        start, end = (days * 24 * 3600 for days in LAPSED_DAYS)
        return self.now - timedelta(seconds=self.random.randrange(start, end))

    def write(self, stage: str, model: type[models.Model], objects: Sequence[Any]) -> None:
        for chunk in chunks(objects):
            with transaction.atomic():
                model._default_manager.bulk_create(chunk)
            self.progress(stage, len(chunk), len(objects))

    def record(self, stage: str, queryset: models.QuerySet[Any]) -> None:
        """Record what was written for Octy, chunk by chunk, one transaction each."""
        ids = list(queryset.values_list("pk", flat=True))
        for chunk in chunks(ids):
            with transaction.atomic():
                mark_dirty(queryset.filter(pk__in=chunk))
            self.progress(stage, len(chunk), len(ids))

    def products(self) -> list[Product]:
        products = []
        for number in range(1, self.sizes.products + 1):
            category = self.random.choice(list(CATEGORIES))
            colour = self.random.choice(COLOURS)
            kind = self.random.choice(CATEGORIES[category])
            products.append(
                Product(
                    sku=f"sku-{number:05d}",
                    name=f"{colour.title()} {kind.lower()} {number}",
                    category=category,
                    description=f"A {colour} {kind.lower()}, demo product {number}.",
                    price=Decimal(self.random.randrange(299, 19999)) / 100,
                )
            )
        self.write("products", Product, products)
        return list(Product.objects.all())

    def customers(self) -> list[Customer]:
        user_model = get_user_model()
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
        users = [
            user_model(username=f"customer{n}", email=f"customer{n}@example.com", password=password)
            for n in range(1, self.sizes.customers + 1)
        ]
        self.write("users", user_model, users)
        users = list(user_model.objects.filter(username__startswith="customer"))
        customers = [
            Customer(
                user=user,
                first_name=self.random.choice(FIRST_NAMES),
                gender=self.random.choice(GENDERS),
                age=self.random.randrange(18, 80),
                city=self.random.choice(CITIES),
                os=self.random.choice(SYSTEMS),
                uses_vpn=self.random.random() < 0.2,
                joined_at=self.moment(365),
            )
            for user in users
        ]
        self.write("customers", Customer, customers)
        return list(Customer.objects.all())

    def orders(self, customers: list[Customer], products: list[Product]) -> tuple[int, int]:
        orders = []
        for _ in range(self.sizes.orders):
            customer = self.random.choice(customers)
            created = self.moment_of(customer)
            paid = self.random.random() < 0.8
            orders.append(
                Order(
                    customer=customer,
                    created_at=created,
                    paid_at=created + timedelta(minutes=self.random.randrange(1, 30))
                    if paid
                    else None,
                    payment_method=self.random.choice(PaymentMethod.values) if paid else "",
                )
            )
        self.write("orders", Order, orders)
        lines = [
            OrderLine(order_id=order_id, product=product, unit_price=product.price)
            for order_id in Order.objects.values_list("pk", flat=True)
            for product in self.random.sample(products, self.random.randint(1, 3))
        ]
        self.write("order lines", OrderLine, lines)
        paid_lines = OrderLine.objects.filter(order__paid_at__isnull=False).count()
        return Order.objects.filter(paid_at__isnull=False).count(), paid_lines

    def page_views(self, customers: list[Customer], products: list[Product]) -> None:
        views = []
        for _ in range(self.sizes.page_views):
            product = self.random.choice(products) if self.random.random() < 0.7 else None
            customer = self.random.choice(customers)
            views.append(
                PageView(
                    customer=customer,
                    path=f"/products/{product.sku}/" if product else "/",
                    product=product,
                    viewed_at=self.moment_of(customer),
                )
            )
        self.write("page views", PageView, views)

    def logins(self, customers: list[Customer]) -> None:
        logins = []
        for _ in range(self.sizes.logins):
            customer = self.random.choice(customers)
            device = self.random.choice(("desktop", "mobile"))
            logins.append(
                Login(customer=customer, device=device, logged_in_at=self.moment_of(customer))
            )
        self.write("logins", Login, logins)

    def wishlist(self, customers: list[Customer], products: list[Product]) -> int:
        """Events of a type the shop forgot to declare: Octy refuses them."""
        for customer in self.random.sample(customers, min(REFUSED_EVENTS, len(customers))):
            with transaction.atomic():
                sku = self.random.choice(products).sku
                track(customer, UNDECLARED_EVENT_TYPE, {"item_id": sku}, self.moment_of(customer))
        return min(REFUSED_EVENTS, len(customers))

    def run(self) -> Seeded:
        products = self.products()
        customers = self.customers()
        paid_orders, paid_lines = self.orders(customers, products)
        self.page_views(customers, products)
        self.logins(customers)
        # Profiles first (with has_charged), then what refers to them.
        self.record("products → Octy", Product.objects.all())
        self.record("customers → Octy", Customer.objects.select_related("user"))
        paid = Order.objects.filter(paid_at__isnull=False).select_related("customer")
        self.record("orders → Octy", paid.prefetch_related("lines__product"))
        views = PageView.objects.select_related("customer", "product")
        self.record("page views → Octy", views)
        self.record("logins → Octy", Login.objects.select_related("customer"))
        refused = self.wishlist(customers, products)
        return Seeded(
            customers=len(customers),
            products=len(products),
            orders=self.sizes.orders,
            paid_orders=paid_orders,
            order_lines=OrderLine.objects.count(),
            charged_events=paid_lines,
            page_views=self.sizes.page_views,
            logins=self.sizes.logins,
            lapsed_customers=sum(1 for customer in customers if not customer.pk % LAPSED_EVERY),
            refused_events=refused,
        )


def seed(sizes: Sizes, progress: Progress) -> Seeded:
    """Fill an empty shop; refuses a shop that has customers already."""
    if Customer.objects.exists():
        raise ValueError("The shop already has customers: seed an empty database.")
    return Seeder(sizes, progress).run()
