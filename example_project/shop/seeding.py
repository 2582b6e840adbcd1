"""Fake but plausible shop data, in bulk, recorded for Octy with ``mark_dirty``.

``bulk_create`` sends no ``post_save`` signal, so each kind of object is handed
to :func:`django_octy.mark_dirty` once it is written: the way to load data in
bulk in any project that uses django-octy.
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

from django_octy import mark_dirty

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

    @property
    def events(self) -> int:
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
            created = self.moment()
            paid = self.random.random() < 0.8
            orders.append(
                Order(
                    customer=self.random.choice(customers),
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
            views.append(
                PageView(
                    customer=self.random.choice(customers),
                    path=f"/products/{product.sku}/" if product else "/",
                    product=product,
                    viewed_at=self.moment(),
                )
            )
        self.write("page views", PageView, views)

    def logins(self, customers: list[Customer]) -> None:
        logins = [
            Login(
                customer=self.random.choice(customers),
                device=self.random.choice(("desktop", "mobile")),
                logged_in_at=self.moment(),
            )
            for _ in range(self.sizes.logins)
        ]
        self.write("logins", Login, logins)

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
        return Seeded(
            customers=len(customers),
            products=len(products),
            orders=self.sizes.orders,
            paid_orders=paid_orders,
            order_lines=OrderLine.objects.count(),
            charged_events=paid_lines,
            page_views=self.sizes.page_views,
            logins=self.sizes.logins,
        )


def seed(sizes: Sizes, progress: Progress) -> Seeded:
    """Fill an empty shop; refuses a shop that has customers already."""
    if Customer.objects.exists():
        raise ValueError("The shop already has customers: seed an empty database.")
    return Seeder(sizes, progress).run()
