"""Issue #14, item 5: a push's results survive a database connection lost before they are written.

The flusher's connection is terminated (``pg_terminate_backend``) between the
push and the write-back of its results. The write-back was lost with it, and
the whole batch was pushed again once its lease ran out; it is now written on
a new connection.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, connections

from django_octy.models import Profile, SyncState
from django_octy.signals import post_push
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

from .conftest import (
    CREATE_PROFILES,
    created_by_successful_requests,
    fault_table_row,
    profile_differences,
)

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

BATCH = 16


def terminate_the_flushers_connection(sender: Any, **kwargs: Any) -> None:
    """After the push, before its write-back: the flusher's database backend is terminated."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def test_results_are_written_back_on_a_new_connection(octy: FakeOcty) -> None:
    for n in range(BATCH):
        Customer.objects.create(email=f"c{n}@example.com", first_name=f"n{n}")
    post_push.connect(terminate_the_flushers_connection, sender=Profile)
    try:
        flush_all()
    finally:
        post_push.disconnect(terminate_the_flushers_connection, sender=Profile)

    rows = Profile.objects.values_list("state", "lease_token")
    assert set(rows) == {(SyncState.SYNCED, None)}
    creates = created_by_successful_requests(octy, CREATE_PROFILES, "customer_id")
    assert set(creates.values()) == {1}
    fault_table_row(
        "database connection lost before the write-back",
        changes=BATCH,
        faults=1,
        found=profile_differences(octy),
        resent=sum(creates.values()) - BATCH,
    )
