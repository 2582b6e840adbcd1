"""Shared checks and fixtures of the reliability scenarios (issues #7 and #14)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from django_octy.models import SyncState
from django_octy.sync.flush import flush_all
from django_octy.sync.pending import MIRROR_MODELS, left_to_push, seconds_until_due
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, OrderLine, Product
from tests.sync.conftest import octy

__all__ = ["octy"]  # the fake Octy fixture, with short delays

# Broker outage and fault storm (scenarios 2 and 3): what "zero lost" and "zero duplicates" mean,
# judged against the shop's own tables, not against the mirror rows the engine keeps.

CREATE_PROFILES = "/v1/retention/profiles/create"
CREATE_ITEMS = "/v1/retention/items/create"


def rows_not_synced() -> dict[str, int]:
    """Changes still waiting to be mapped (``HostChange``), and mirror rows still
    outstanding or given up on, per model (empty when all is pushed)."""
    counts = Counter(left_to_push())
    for model in MIRROR_MODELS:
        counts[model.__name__] += model._default_manager.filter(state=SyncState.FAILED).count()
    return dict(+counts)


def created_by_successful_requests(octy: FakeOcty, path: str, key: str) -> Counter[str]:
    """How many 2xx create requests carried each object, by its natural key ``key``.

    The fake refuses a second create of one key, so a count of 2 is an object the
    engine pushed again after it was created.
    """
    list_key = path.split("/")[-2]
    return Counter(
        str(obj[key])
        for entry in octy.request_log
        if entry.path == path and entry.status is not None and entry.status < 300
        for obj in entry.body[list_key]
    )


def price_in_minor_units(price: Decimal) -> int:
    return int(price * 100)


def lost_profiles(octy: FakeOcty) -> list[str]:
    """Customers whose last saved values are not what the fake Octy holds."""
    remote = octy.profiles
    lost = []
    for customer in Customer.objects.order_by("pk"):
        data = remote.get(str(customer.pk), {}).get("profile_data", {})
        if (data.get("first_name"), data.get("city")) != (customer.first_name, customer.city):
            lost.append(f"customer {customer.pk}: {data!r}")
    lost += [f"profile {key} has no customer" for key in set(remote) - customer_ids()]
    return lost


def customer_ids() -> set[str]:
    return {str(pk) for pk in Customer.objects.values_list("pk", flat=True)}


def lost_items(octy: FakeOcty) -> list[str]:
    """Products whose last saved values are not what the fake Octy holds."""
    remote = octy.items
    lost = []
    for product in Product.objects.order_by("pk"):
        item = remote.get(product.sku, {})
        expected = (product.name, product.category, price_in_minor_units(product.price))
        if (item.get("item_name"), item.get("item_category"), item.get("item_price")) != expected:
            lost.append(f"product {product.sku}: {item!r}")
    lost += [f"item {sku} has no product" for sku in set(remote) - set(skus())]
    return lost


def skus() -> list[str]:
    return list(Product.objects.values_list("sku", flat=True))


EventContent = tuple[str, str, str, str]
"""(customer_id, event_type, item_id, payment_method): what makes one shop event unique."""


def expected_events() -> Counter[EventContent]:
    """One ``charged`` event per line of every paid order."""
    lines = OrderLine.objects.filter(order__paid=True).values_list(
        "order__customer_id", "product__sku", "order__payment_method"
    )
    return Counter((str(customer), "charged", sku, method) for customer, sku, method in lines)


def received_events(octy: FakeOcty) -> Counter[EventContent]:
    customer_of = {profile["profile_id"]: key for key, profile in octy.profiles.items()}
    return Counter(
        (
            customer_of.get(event["profile_id"], event["profile_id"]),
            event["event_type"],
            str(event["event_properties"].get("item_id")),
            str(event["event_properties"].get("payment_method")),
        )
        for event in octy.events
    )


def event_differences(octy: FakeOcty) -> dict[str, Any]:
    """Events saved but never received (``lost``) and received more than once (``duplicated``)."""
    expected, received = expected_events(), received_events(octy)
    return {
        "lost": sorted((expected - received).elements())[:20],
        "duplicated": sorted((received - expected).elements())[:20],
    }


# Issue #14: the windows in which a change was lost, left stale or multiplied. Each scenario
# prints one row of the fault table in benchmarks/RESULTS.md.


@dataclass
class Differences:
    """How the fake Octy's objects differ from the shop's last saved values."""

    lost: list[str] = field(default_factory=list)
    """Changes that never arrived: an object missing, or one the shop deleted still there."""
    stale: list[str] = field(default_factory=list)
    """Objects Octy holds with older values than the shop's."""

    def __add__(self, other: Differences) -> Differences:
        return Differences(self.lost + other.lost, self.stale + other.stale)


def profile_differences(octy: FakeOcty) -> Differences:
    remote = octy.profiles
    found = Differences()
    for customer in Customer.objects.order_by("pk"):
        profile = remote.get(str(customer.pk))
        data = (profile or {}).get("profile_data", {})
        if profile is None:
            found.lost.append(f"customer {customer.pk} has no profile")
        elif (data.get("first_name"), data.get("city")) != (customer.first_name, customer.city):
            found.stale.append(f"customer {customer.pk}: {data!r}")
    found.lost += [f"profile {key} has no customer" for key in set(remote) - customer_ids()]
    return found


def item_differences(octy: FakeOcty) -> Differences:
    remote = octy.items
    found = Differences()
    for product in Product.objects.order_by("pk"):
        item = remote.get(product.sku)
        if item is None:
            found.lost.append(f"product {product.sku} has no item")
        elif (item["item_name"], item["item_price"]) != (
            product.name,
            price_in_minor_units(product.price),
        ):
            found.stale.append(f"product {product.sku}: {item!r}")
    found.lost += [f"item {sku} has no product" for sku in set(remote) - set(skus())]
    return found


def settle(rounds: int = 40) -> None:
    """Flush until nothing is outstanding (nor waiting to be mapped), waiting out the
    backoffs in between."""
    for _ in range(rounds):
        flush_all()
        wait = seconds_until_due()
        if wait is None:
            return
        time.sleep(wait)
    pytest.fail(f"Rows still outstanding after {rounds} flushes: {rows_not_synced()}")


def fault_table_row(
    scenario: str,
    *,
    changes: int,
    faults: int,
    found: Differences,
    duplicated: int = 0,
    resent: int = 0,
) -> None:
    """Print the scenario's row of the fault table; nothing may be lost or left stale.

    ``duplicated``: objects or events Octy holds more than once; ``resent``:
    objects pushed again that Octy took as the same object (a create of one it
    has is adopted).
    """
    print(
        f"\nfault table | {scenario} | changes {changes} | faults {faults} | "
        f"lost {len(found.lost)} | stale {len(found.stale)} | duplicated {duplicated} | "
        f"re-sent {resent}"
    )
    assert found.lost == []
    assert found.stale == []
