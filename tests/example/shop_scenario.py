"""A customer's visit to the example shop, checked against a fake Octy.

Run by ``test_example_project.py`` in a subprocess, from ``example_project/``
with the shop's own settings (``SHOP_VAR_DIR`` pointing at an empty
directory): log in, look at products, buy one, flush, and check what Octy
received and what the shop's pages and the front-end API show. Exits non-zero
on the first failed check.
"""

from __future__ import annotations

import io
from decimal import Decimal

from scenario import shop_against_a_fake

from django_octy.testing import FakeOcty


def main() -> None:
    with shop_against_a_fake() as octy:
        visit_the_shop(octy)


def visit_the_shop(octy: FakeOcty) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from shop.models import Customer, Product

    from django_octy import flush_all

    call_command("migrate", verbosity=0)
    call_command("octy_apply", stdout=io.StringIO())  # the shop's OCTY["DEFINITIONS"]
    user = get_user_model().objects.create_user("ada", password="a-long-password")
    customer = Customer.objects.create(user=user, first_name="Ada", city="Oslo", os="linux")
    tent = Product.objects.create(
        sku="tent", name="Tent", category="Outdoor", price=Decimal("62.90")
    )
    jeans = Product.objects.create(
        sku="jeans", name="Jeans", category="Clothing", price=Decimal("49.00")
    )

    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (Mobile)")
    page = browser.post("/accounts/login/", {"username": "ada", "password": "a-long-password"})
    assert page.status_code == 302, page.status_code
    assert browser.get("/").status_code == 200
    page = browser.get("/products/tent/")
    assert b"Buy now" in page.content
    love = {"event_type": "showed_love", "event_properties": {"page_id": "tent"}}
    page = browser.post("/octy/events/", love, content_type="application/json")
    assert page.status_code == 202, page.content
    page = browser.post("/products/tent/buy/", {"payment_method": "applepay"})
    assert page.status_code == 302, page.status_code
    assert b"1 x Tent" in browser.get("/orders/").content

    summary = flush_all()
    assert not summary.stopped, summary.stopped

    profile = octy.profiles[str(customer.pk)]
    assert profile["profile_data"]["first_name"] == "Ada", profile
    assert profile["platform_info"] == {"os": "linux", "using_vpn": False}, profile
    assert {item["item_id"]: item["item_price"] for item in octy.items.values()} == {
        "tent": 6290,
        "jeans": 4900,
    }
    events = {event["event_type"]: event["event_properties"] for event in octy.events}
    assert events["charged"] == {"item_id": "tent", "payment_method": "applepay"}, events
    assert events["login"]["device"] == "mobile", events
    assert events["showed_love"] == {"page_id": "tent"}, events
    assert {"path": "/products/tent/", "item_id": "tent"} in [
        event["event_properties"] for event in octy.events if event["event_type"] == "page_view"
    ]

    recommended = browser.get("/octy/recommendations/").json()["items"]
    assert [item["item_id"] for item in recommended] == [jeans.sku], recommended
    banner = browser.get("/octy/content/?sections=website").json()["sections"]["website"]
    assert banner["template"] == "Website welcome banner", banner
    assert banner["personalised"], banner
    assert banner["content"].startswith("Welcome back "), banner
    assert tent.name in browser.get("/").content.decode()

    health = browser.get("/octy/ops/health/")
    assert (health.status_code, health.json()["status"]) == (200, "ok"), health.content
    assert browser.get("/octy/ops/metrics/").status_code == 403  # a customer is not staff
    print("The shop scenario passed.")


if __name__ == "__main__":
    main()
