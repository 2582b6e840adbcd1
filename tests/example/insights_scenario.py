"""What Octy computed, as the example shop shows it, checked against a fake Octy.

Run by ``test_example_project.py`` in a subprocess, from ``example_project/``
with the shop's own settings: two customers, one active and one lapsed (all of
their activity months old), and an event of a type the shop never declared.
After a flush and a pull, the insights page and the customer admin show the
lapsed customer at high churn risk, filter by segment, show the churn report,
and the error log holds Octy's refusal. Exits non-zero on the first failed check.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from scenario import shop_against_a_fake


def main() -> None:
    with shop_against_a_fake():
        check_the_insights()


def check_the_insights() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from shop.models import Customer, Login, Order, Product

    from django_octy import flush_all, track
    from django_octy.models import SyncError

    call_command("migrate", verbosity=0)
    call_command("octy_apply", stdout=io.StringIO())
    users = get_user_model().objects
    now = timezone.now()
    tent = Product.objects.create(sku="tent", name="Tent", category="Outdoor", price=Decimal(300))
    active = Customer.objects.create(user=users.create_user("ada"), first_name="Ada")
    lapsed = Customer.objects.create(user=users.create_user("ben"), first_name="Ben")
    for customer, when in ((active, now), (lapsed, now - timedelta(days=50))):
        order = Order.objects.create(customer=customer, created_at=when)
        order.lines.create(product=tent, unit_price=tent.price)
        order.paid_at, order.payment_method = when, "visa"
        order.save()
        Login.objects.create(customer=customer, device="mobile", logged_in_at=when)
    track(active, "wishlist_add", {"item_id": "tent"})  # never declared: Octy refuses it

    summary = flush_all()
    assert not summary.stopped, summary.stopped
    call_command("octy_pull", "profile", stdout=io.StringIO())

    [error] = SyncError.objects.all()
    assert error.entity == "event" and "Unknown event type 'wishlist_add'" in error.reason, error

    staff = Client()
    staff.force_login(users.create_superuser("boss", "boss@example.com", "a-long-password"))
    page = staff.get("/insights/").content.decode()
    at_risk = page.split('id="high-churn-risk"', 1)[1]
    assert "ben" in at_risk and "ada" not in at_risk, at_risk
    assert "50.0%</strong> of customers are likely to churn" in page, page
    assert '<option value="worst customers"' in page, page
    # The fake's segments (its own rule): Ben logged in and never bought "ios" by Visa, so he
    # is a "fast paying customer"; he bought within 60 days, so not a "worst customer".
    fast = staff.get("/insights/", {"segment": "fast paying customers"}).content.decode()
    assert "ben" in fast.split('id="high-churn-risk"', 1)[1], fast
    worst = staff.get("/insights/", {"segment": "worst customers"}).content.decode()
    assert "Nobody" in worst.split('id="high-churn-risk"', 1)[1], worst

    listed = staff.get("/admin/shop/customer/", {"churn": "high"}).content.decode()
    assert "Churn report (Octy)" in listed and "50.0%" in listed, listed
    rows = listed.split('id="result_list"', 1)[1]
    assert ">ben<" in rows and ">ada<" not in rows, rows
    assert "segment (Octy)" in listed and "segment=worst+customers" in listed, listed
    change = staff.get(f"/admin/shop/customer/{lapsed.pk}/change/").content.decode()
    assert "Octy profile" in change and "octy-state-synced" in change, change
    assert staff.get("/admin/django_octy/syncerror/").status_code == 200
    assert Client().get("/insights/").status_code == 302  # staff only
    print("The insights scenario passed.")


if __name__ == "__main__":
    main()
