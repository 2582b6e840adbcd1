"""Issue #14, items 2 and 3: the deletion of a host object always reaches Octy.

Two windows lost it. A create Octy carried out but whose answer was lost left
the row without its Octy id, and the deletion of such a row was dropped. And a
flush that pushed a row's first version between the two statements of the
row's conditional delete (a read, then a delete by primary key) lost the
deletion too. Both are forced: the fake holds the create until the client has
given up on it; a hook runs a flush just before the delete statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models.deletion import Collector

from django_octy.models import Profile
from django_octy.sync.flush import flush_all
from django_octy.sync.folding import fold_changes
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, Product
from tests.sync.conftest import wait_until
from tests.threads import run_in_thread

from .conftest import (
    CREATE_ITEMS,
    CREATE_PROFILES,
    fault_table_row,
    item_differences,
    profile_differences,
    settle,
)

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

PROFILE_LOOKUP = "/v1/retention/profiles/metadata"


def test_a_deletion_after_a_create_whose_answer_was_lost_reaches_octy(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "TIMEOUT": 0.5}
    shop = [Customer.objects.create(email=f"c{n}@example.com") for n in range(2)]
    shop += [
        Product.objects.create(sku=f"sku{n}", name="n", category="c", price=Decimal(1))
        for n in range(2)
    ]
    holds = [octy.hold(CREATE_PROFILES), octy.hold(CREATE_ITEMS)]

    flush_all()  # both creates time out, held by Octy
    for held in holds:
        held.release()  # ...and are carried out after the client gave up on them
    wait_until(lambda: len(octy.profiles) == 2 and len(octy.items) == 2, what="the creates")
    for obj in shop:
        obj.delete()
    octy.inject(PROFILE_LOOKUP, status=503)  # the lookup itself fails once: the rows wait
    settle()

    assert [entry.status for entry in octy.request_log if entry.path == PROFILE_LOOKUP] == [
        503,
        200,
    ]
    fault_table_row(
        "deletion after a create whose answer was lost",
        changes=8,
        faults=3,
        found=profile_differences(octy) + item_differences(octy),
    )


@pytest.fixture
def flush_before_deleting_profiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """A flush, on its own connection, just before a delete statement removes profile rows."""
    delete = Collector.delete
    flushes: list[int] = []

    def flush_then_delete(collector: Collector) -> Any:
        if Profile in collector.data and not flushes:
            flushes.append(1)
            run_in_thread(flush_all).join()
        return delete(collector)

    monkeypatch.setattr(Collector, "delete", flush_then_delete)
    yield flushes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (row locks)")
def test_a_deletion_while_the_first_version_is_pushed_reaches_octy(
    octy: FakeOcty, flush_before_deleting_profiles: list[int]
) -> None:
    ann = Customer.objects.create(email="ann@example.com", first_name="Ann")
    fold_changes()  # the first version: a pending row

    ann.delete()  # the flush runs between the row's read and its delete

    assert flush_before_deleting_profiles == [1]
    settle()
    fault_table_row(
        "deletion while the first version is pushed",
        changes=2,
        faults=1,
        found=profile_differences(octy),
    )
