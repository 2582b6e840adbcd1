"""Issue #14, item 4: an answer that does not say what happened is not a refusal.

A 2xx whose body is cut short (or is not JSON) was taken for a batch refused
as a whole: the batch was split and sent again, piece by piece, and the rows
of the pieces still answered so were marked failed. Such an answer is now a
transient failure of the whole batch: retried as a whole, never split.
"""

from __future__ import annotations

from collections import Counter

import pytest

from django_octy.models import SyncError, SyncState
from django_octy.sync.flush import flush_all
from django_octy.sync.pending import MIRROR_MODELS
from django_octy.sync.recording import track
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

from .conftest import CREATE_PROFILES, fault_table_row, profile_differences, settle

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

CREATE_EVENTS = "/v1/retention/events/create/batch"
BATCH = 16


def test_cut_answers_retry_whole_batches_and_fail_no_row(octy: FakeOcty) -> None:
    shop = [Customer.objects.create(email=f"c{n}@example.com") for n in range(BATCH)]
    octy.garble(CREATE_PROFILES, times=None)

    flush_all()

    assert not any(model._default_manager.filter(state=SyncState.FAILED) for model in MIRROR_MODELS)
    assert not SyncError.objects.exists()
    garbled = sum(entry.path == CREATE_PROFILES for entry in octy.request_log)
    octy.faults.clear()
    for customer in shop:
        track(customer, "charged", {"item_id": "sku", "payment_method": "card"})
    octy.garble(CREATE_EVENTS)
    settle()

    creates = [
        entry for entry in octy.request_log if entry.path in (CREATE_PROFILES, CREATE_EVENTS)
    ]
    assert {entry.objects for entry in creates} == {BATCH}  # never split
    received = Counter(event["profile_id"] for event in octy.events)
    assert len(received) == BATCH
    assert set(received.values()) <= {1, 2}  # the batch whose answer was cut, sent twice
    resent_profiles = sum(entry.path == CREATE_PROFILES for entry in creates) - 1
    fault_table_row(
        "2xx answers cut short",
        changes=2 * BATCH,
        faults=garbled + 1,
        found=profile_differences(octy),
        duplicated=len(octy.events) - BATCH,
        resent=resent_profiles * BATCH,
    )
