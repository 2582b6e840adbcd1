"""``octy_resync`` with several Octy batch requests in flight: the bound holds, and every
object is sent once, its outcome written and its failure named, as with one at a time.

Octy's own command-line client uploads 10 requests at a time (``Octy-ai/octy-cli``:
``internal/application/domain/data_upload/logic.go``, a semaphored wait group), hence
the default of ``OCTY["RESYNC_CONCURRENCY"]``.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from django_octy.conf import DEFAULTS
from django_octy.models import Operation, Profile, SyncError, SyncState
from django_octy.signals import pre_push
from django_octy.testing import FakeOcty

from .conftest import PROFILES, make_profiles, requests_to, run, running

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("forget_checkpoints"),
]


def sent_ids(octy: FakeOcty) -> list[str]:
    return [p["customer_id"] for e in requests_to(octy, PROFILES) for p in e.body["profiles"]]


def test_the_default_is_ten_requests_in_flight_as_octys_own_client() -> None:
    assert DEFAULTS["RESYNC_CONCURRENCY"] == 10


def test_no_more_than_the_configured_requests_are_in_flight(octy: FakeOcty, settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 10}
    make_profiles(60)
    octy.in_flight.hold()
    resync = ("octy_resync", "profile", "--concurrency", "3")
    with running(*resync, then=octy.in_flight.release) as finished:
        assert octy.in_flight.wait_for(3), "three batches were never in flight at once"
        # Three answers are held: the resync may not claim (or send) a fourth batch.
        assert Profile.objects.exclude(lease_token=None).count() == 30
        assert octy.in_flight.current == 3

    assert finished and finished[0].code == 0, finished
    assert octy.in_flight.peak == 3
    assert len(requests_to(octy, PROFILES)) == 6
    assert Profile.objects.filter(state=SyncState.SYNCED).count() == 60


def test_every_object_is_sent_once_and_each_refusal_names_its_object(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 50, "RESYNC_CONCURRENCY": 4}
    make_profiles(1000)
    refused = {"c000007", "c000480", "c000999"}
    for customer_id in refused:
        octy.reject_object(customer_id, "profile_data: 'age' must be an integer")

    result = run("octy_resync", "profile")

    assert result.code == 3
    assert "3 objects were refused (3 by Octy)" in result.stderr
    sends = Counter(sent_ids(octy))
    assert len(sends) == 1000 and set(sends.values()) == {1}
    assert len(requests_to(octy, PROFILES)) == 20
    assert octy.in_flight.peak <= 4
    assert set(octy.profiles) == {f"c{n:06d}" for n in range(1000)} - refused
    synced = Profile.objects.filter(state=SyncState.SYNCED)
    assert synced.count() == 997
    assert all(row.octy_id == octy.profiles[row.customer_id]["profile_id"] for row in synced)
    failed = Profile.objects.filter(state=SyncState.FAILED)
    assert {row.customer_id for row in failed} == refused
    errors = SyncError.objects.filter(operation=Operation.CREATE)
    assert {error.identifier for error in errors} == refused
    assert "1000/1000" in result.stderr
    profile_line = next(line for line in result.stdout.splitlines() if line.startswith("Profile"))
    assert profile_line.split() == ["Profile", "1,000", "997", "0", "0", "3", "0", "20"]


def test_resumes_after_a_crash_mid_way_without_resending_what_was_confirmed(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 100, "LEASE_SECONDS": 0}
    make_profiles(950, state=SyncState.SYNCED)
    batches = 0
    lock = threading.Lock()

    def crash_on_third_batch(**_: Any) -> None:
        nonlocal batches
        with lock:
            batches += 1
            crash = batches == 3
        if crash:
            raise KeyboardInterrupt

    pre_push.connect(crash_on_third_batch, dispatch_uid="crash")
    try:
        crashed = run("octy_resync", "profile", "--concurrency", "3")
    finally:
        pre_push.disconnect(dispatch_uid="crash")
    assert crashed.code == 130
    first = set(sent_ids(octy))
    assert 200 <= len(first) < 950
    assert Profile.objects.filter(state=SyncState.SYNCED, customer_id__in=first).count() == len(
        first
    )

    resumed = run("octy_resync", "profile", "--concurrency", "3")

    assert resumed.code == 0, resumed.stderr
    assert "Resumed the resync started at" in resumed.stdout
    second = sent_ids(octy)[len(first) :]
    assert len(second) == len(set(second)) and not first & set(second)
    assert first | set(second) == {f"c{n:06d}" for n in range(950)}
    assert len(octy.profiles) == 950
