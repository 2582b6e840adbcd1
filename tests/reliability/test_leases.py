"""Issue #14, items 1 and 6: no push outlives its lease, and no lease outlives its flush.

A push that outlived its lease let another flusher push a newer version, then
landed after it: Octy kept the older value while the mirror said synced. A
worker whose clock ran ahead took over live leases. A flush that failed kept
its rows leased for ``LEASE_SECONDS``. Each interleaving is forced: a request
the fake holds until the test releases it, a lease ended by the test, a
write-back made to fail once.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import DataError
from django.utils import timezone

from django_octy.models import Profile, SyncState
from django_octy.sync import apply as apply_module
from django_octy.sync.flush import flush_all
from django_octy.sync.pending import due
from django_octy.testing import FakeOcty
from tests.shop.models import Customer
from tests.threads import run_in_thread

from .conftest import (
    CREATE_PROFILES,
    created_by_successful_requests,
    fault_table_row,
    profile_differences,
    settle,
)

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

UPDATE_PROFILES = "/v1/retention/profiles/update"


def customers(count: int) -> list[Customer]:
    return [
        Customer.objects.create(email=f"c{n}@example.com", first_name=f"v1 {n}")
        for n in range(count)
    ]


def resent_creates(octy: FakeOcty) -> int:
    """Creates of a profile answered after the first (Octy refuses them: no duplicate)."""
    counts = created_by_successful_requests(octy, CREATE_PROFILES, "customer_id")
    return sum(count - 1 for count in counts.values())


def test_a_push_stops_retrying_before_its_lease_can_run_out(octy: FakeOcty, settings: Any) -> None:
    # A lease of 4 s, requests of at most 1 s (0.5 s to connect, 0.5 s to read), and 503s
    # with Retry-After 1 s that retries would sleep through for 5 s: the push must give up
    # while its lease still holds, its rows waiting for their next attempt.
    settings.OCTY = {**settings.OCTY, "LEASE_SECONDS": 4, "TIMEOUT": 0.5, "MAX_RETRIES": 5}
    customers(3)
    octy.inject(CREATE_PROFILES, status=503, retry_after=1, times=5)

    started = time.monotonic()
    flush_all()
    pushed_for = time.monotonic() - started

    assert pushed_for < 4
    rows = list(Profile.objects.all())
    assert {(row.state, row.lease_token, row.next_attempt_at is not None) for row in rows} == {
        (SyncState.PENDING, None, True)
    }
    faults = sum(entry.status == 503 for entry in octy.request_log)
    octy.faults.clear()
    settle()
    fault_table_row(
        "push outliving its lease (503 + Retry-After)",
        changes=3,
        faults=faults,
        found=profile_differences(octy),
        resent=resent_creates(octy),
    )


def test_a_push_landing_after_a_newer_one_is_followed_by_the_latest_version(
    octy: FakeOcty,
) -> None:
    (ann,) = customers(1)
    flush_all()
    ann.first_name = "v2"
    ann.save()
    held = octy.hold(UPDATE_PROFILES)
    late = run_in_thread(flush_all)  # flusher A: its push of v2 is held by Octy
    held.wait_arrived()

    # A's lease runs out while its push is held; flusher B pushes the newer v3.
    Profile.objects.update(leased_until=timezone.now() - timedelta(seconds=1))
    ann.first_name = "v3"
    ann.save()
    flush_all()
    assert octy.profiles[str(ann.pk)]["profile_data"]["first_name"] == "v3"

    held.release()  # A's push of v2 lands after B's: Octy holds v2 for a moment
    late.join()
    settle()

    assert Profile.objects.get().state == SyncState.SYNCED
    fault_table_row(
        "push landing after its lease ran out",
        changes=3,
        faults=1,
        found=profile_differences(octy),
        resent=resent_creates(octy),
    )


def test_a_worker_whose_clock_runs_ahead_leaves_live_leases_alone(
    octy: FakeOcty, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.OCTY = {**settings.OCTY, "LEASE_SECONDS": 30}
    customers(3)
    held = octy.hold(CREATE_PROFILES)
    first = run_in_thread(flush_all)  # flusher A: claimed, its create held by Octy
    held.wait_arrived()

    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=31))
    skewed = flush_all()  # flusher B, on a worker whose clock runs 31 s ahead
    monkeypatch.setattr(timezone, "now", real_now)

    assert skewed.of("profile").sent == 0
    held.release()
    first.join()
    settle()
    resent = resent_creates(octy)
    assert resent == 0
    fault_table_row(
        "worker clock 31 s ahead",
        changes=3,
        faults=1,
        found=profile_differences(octy),
        resent=resent,
    )


def test_a_failed_flush_releases_its_claim_at_once(
    octy: FakeOcty, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers(3)
    write_rows = apply_module.write_rows
    failures = []

    def fails_once(rows: list[Any], *args: Any) -> None:
        if not failures and rows and isinstance(rows[0], Profile):
            failures.append(1)
            raise DataError("the write-back failed")
        write_rows(rows, *args)

    monkeypatch.setattr(apply_module, "write_rows", fails_once)
    with pytest.raises(DataError):
        flush_all()

    assert failures == [1]
    assert due(Profile).count() == 3  # not held until LEASE_SECONDS (300 s) have passed
    settle()
    fault_table_row(
        "flush failing at write-back",
        changes=3,
        faults=1,
        found=profile_differences(octy),
        resent=resent_creates(octy),
    )
