"""Changes the signals cannot see reach Octy through the reconcile (issue 14 item 9).

``queryset.update()`` sends no ``post_save``; in autocommit mode a save
commits before ``post_save``, and a process that dies in between leaves the
host row changed and its mirror as it was. The shop's customers and orders
name their ``updated_at``: ``octy_reconcile`` (and the beat's ``reconcile``
task) records every host object changed after its mirror row's last recorded
change, and the flush pushes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.models.signals import post_save
from django.utils import timezone

from django_octy import sources
from django_octy.models import Event, Profile, SyncState
from django_octy.schedule import BEAT_SCHEDULE
from django_octy.sync.flush import flush_all
from django_octy.sync.receivers import on_save
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, Order, OrderLine, Product

from .conftest import event_differences, lost_profiles

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]


class Crash(BaseException):
    """The process dies between the host's commit and ``post_save``."""


@contextmanager
def dying_before_post_save() -> Iterator[None]:
    """Saves commit (autocommit), then the process "dies" before the app's receiver runs."""

    def die(**_: Any) -> None:
        raise Crash

    post_save.disconnect(dispatch_uid="django_octy.on_save")
    post_save.connect(die, dispatch_uid="test.crash")
    try:
        yield
    finally:
        post_save.disconnect(dispatch_uid="test.crash")
        post_save.connect(on_save, dispatch_uid="django_octy.on_save")


def crash_saving(obj: Any) -> None:
    with pytest.raises(Crash):
        obj.save()


def test_queryset_update_and_a_crash_before_post_save_reach_octy(octy_settings: FakeOcty) -> None:
    customers = [Customer.objects.create(email=f"c{n}@example.com", city="Old") for n in range(5)]
    product = Product.objects.create(sku="p1", name="P", price=Decimal("1.00"))
    order = Order.objects.create(customer=customers[0])
    OrderLine.objects.create(order=order, product=product)
    flush_all()
    assert lost_profiles(octy_settings) == []

    # Unseen: an update() (naming updated_at, as the docs say), and two crashed saves.
    Customer.objects.filter(pk__in=[c.pk for c in customers[:3]]).update(
        city="Updated", updated_at=timezone.now()
    )
    with dying_before_post_save():
        customers[3].city = "Crashed"
        crash_saving(customers[3])
        order.paid, order.payment_method = True, "card"
        crash_saving(order)
        crash_saving(Customer(email="new@example.com", city="New"))

    flush_all()
    unseen = len(lost_profiles(octy_settings))
    assert unseen == 5  # 3 updated, 1 crashed, 1 never recorded: today this stays
    assert Event.objects.count() == 0

    call_command("octy_reconcile")
    flush_all()
    flush_all()

    assert lost_profiles(octy_settings) == []
    assert event_differences(octy_settings) == {"lost": [], "duplicated": []}
    assert not Profile.objects.exclude(state=SyncState.SYNCED).exists()
    # A second pass finds nothing new: nothing pushed twice.
    requests = len(octy_settings.request_log)
    out = StringIO()
    call_command("octy_reconcile", "--json", stdout=out)
    flush_all()
    assert len(octy_settings.request_log) == requests
    assert json.loads(out.getvalue())["recorded"]["shop.Customer profile"] == 0
    print(f"\n{unseen} unseen changes, 0 lost after the reconcile")


def test_the_beat_runs_the_reconcile() -> None:
    entry = BEAT_SCHEDULE["django-octy-reconcile"]
    assert entry["task"] == "django_octy.tasks.reconcile"


@pytest.mark.parametrize("path", ["updated", "email", "orders__paid"])
def test_a_modified_field_that_is_not_a_time_is_refused_at_registration(path: str) -> None:
    class Broken(sources.ProfileSource[Customer]):
        modified_field = path

    with pytest.raises(ImproperlyConfigured, match=f"modified_field '{path}'.*shop.Customer"):
        Broken(Customer)
