"""``octy_resync``: a full or incremental push, streamed, resumable, with a summary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_octy.models import Event, Profile, SyncState
from django_octy.signals import pre_push
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, Product
from tests.sync.conftest import wait_until

from .conftest import PROFILES, make_profiles, manage, requests_to, run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("forget_checkpoints"),
]


def test_pushes_1201_profiles_in_exactly_three_requests(octy: FakeOcty) -> None:
    make_profiles(1201)

    result = run("octy_resync", "profile")

    assert result.code == 0, result.stderr
    # Several requests are in flight at once: they may finish in any order.
    assert sorted(entry.objects for entry in requests_to(octy, PROFILES)) == [201, 500, 500]
    assert len(octy.profiles) == 1201
    assert Profile.objects.filter(state=SyncState.SYNCED).count() == 1201
    assert "Pushing" in result.stderr and "1201/1201" in result.stderr
    summary = result.stdout.splitlines()
    assert summary[0].split() == [
        "Entity",
        "Sent",
        "Created",
        "Updated",
        "Deleted",
        "Failed",
        "Retried",
        "Requests",
    ]
    profile_line = next(line for line in summary if line.startswith("Profile"))
    assert profile_line.split() == ["Profile", "1,201", "1,201", "0", "0", "0", "0", "3"]
    assert "Resync complete" in result.stdout


def test_reads_host_objects_that_skipped_signals_and_updates_synced_rows(octy: FakeOcty) -> None:
    Customer.objects.bulk_create(Customer(email=f"{n}@example.com", city="Oslo") for n in range(3))
    Product.objects.bulk_create(
        [
            Product(sku="tent", name="Tent", category="camp", price="199.00"),
            Product(sku="mat", name="Mat", category="camp", price=9),
        ]
    )
    assert run("octy_resync").code == 0
    assert {p["profile_data"]["city"] for p in octy.profiles.values()} == {"Oslo"}
    assert octy.items["tent"]["item_price"] == 19900

    Customer.objects.update(city="Bergen")  # no signal: only a resync sees it
    result = run("octy_resync", "profile")

    assert result.code == 0, result.stderr
    assert {p["profile_data"]["city"] for p in octy.profiles.values()} == {"Bergen"}
    assert [e.objects for e in requests_to(octy, "/v1/retention/profiles/update")] == [3]


def test_does_not_send_synced_events_again(octy: FakeOcty) -> None:
    profile = Profile.objects.create(customer_id="c1")
    Event.objects.create(
        profile=profile,
        event_type="charged",
        event_properties={"item_id": "tent", "payment_method": "card"},
    )
    assert run("octy_resync").code == 0
    assert len(octy.events) == 1

    assert run("octy_resync").code == 0

    assert len(octy.events) == 1


def test_host_objects_that_cannot_be_mapped_are_reported(octy: FakeOcty) -> None:
    Product.objects.bulk_create([Product(sku="tent", name="Tent", price=1)])  # no category

    result = run("octy_resync", "item")

    assert result.code == 3
    assert "1 host objects could not be mapped" in result.stderr
    assert octy.items == {}


def test_since_pushes_only_rows_changed_since(octy: FakeOcty) -> None:
    make_profiles(3, state=SyncState.SYNCED, octy_id=None)
    old = timezone.now() - timedelta(days=3)
    Profile.objects.exclude(customer_id="c000002").update(updated_at=old)

    result = run("octy_resync", "profile", "--since", (old + timedelta(days=1)).date().isoformat())

    assert result.code == 0, result.stderr
    assert list(octy.profiles) == ["c000002"]


def test_dry_run_counts_and_changes_nothing(octy: FakeOcty) -> None:
    make_profiles(7)
    Customer.objects.bulk_create(Customer(email=f"{n}@example.com") for n in range(2))

    result = run("octy_resync", "profile", "--dry-run")

    assert result.code == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("Profile"))
    assert line.split() == ["Profile", "2", "7"]
    assert octy.request_log == []
    assert not Profile.objects.filter(customer_id__in=["1", "2"]).exists()


def test_resumes_after_a_crash_without_resending_what_was_confirmed(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 100, "LEASE_SECONDS": 0}
    make_profiles(450, state=SyncState.SYNCED)
    batches = 0

    def crash_on_third_batch(**_: Any) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise KeyboardInterrupt

    pre_push.connect(crash_on_third_batch, dispatch_uid="crash")
    try:  # one batch in flight at a time: the crash comes after exactly two
        crashed = run("octy_resync", "profile", "--concurrency", "1")
    finally:
        pre_push.disconnect(dispatch_uid="crash")
    assert crashed.code == 130
    assert "Run the same command again to resume" in crashed.stderr
    first = {p["customer_id"] for e in requests_to(octy, PROFILES) for p in e.body["profiles"]}
    assert len(first) == 200

    resumed = run("octy_resync", "profile", "--concurrency", "1")

    assert resumed.code == 0, resumed.stderr
    assert "Resumed the resync started at" in resumed.stdout
    second = [p["customer_id"] for e in requests_to(octy, PROFILES)[2:] for p in e.body["profiles"]]
    assert len(second) == 250 and not first & set(second)
    assert len(octy.profiles) == 450


def test_one_rejected_object_fails_alone_with_exit_code_3(octy: FakeOcty) -> None:
    make_profiles(3)
    octy.reject_object("c000001", "profile_data: 'age' must be an integer")

    result = run("octy_resync", "profile")

    assert result.code == 3
    assert "1 objects were refused (1 by Octy)" in result.stderr
    assert set(octy.profiles) == {"c000000", "c000002"}
    failed = Profile.objects.get(state=SyncState.FAILED)
    assert failed.customer_id == "c000001" and "'age' must be an integer" in failed.last_error


def test_bad_keys_stop_with_exit_code_1(octy: FakeOcty, settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "SECRET_KEY": "sk_wrong"}
    make_profiles(2)

    result = run("octy_resync")

    assert result.code == 1
    assert "Stopped:" in result.stderr and "octy_check" in result.stderr
    assert "sk_wrong" not in result.stdout + result.stderr
    assert Profile.objects.filter(state=SyncState.PENDING).count() == 2


def test_server_down_leaves_rows_pending_with_exit_code_3(octy: FakeOcty) -> None:
    make_profiles(2)
    octy.stop()

    result = run("octy_resync", "profile")

    assert result.code == 3
    assert "2 objects are still pending" in result.stderr
    assert "last error:" in result.stderr
    assert Profile.objects.filter(state=SyncState.PENDING).count() == 2


@pytest.mark.integration
def test_async_hands_the_resync_to_a_worker(octy: FakeOcty, worker: Any) -> None:
    Customer.objects.bulk_create(Customer(email=f"{n}@example.com") for n in range(3))

    result = run("octy_resync", "profile", "--async")

    assert result.code == 0
    assert "Resync sent to Celery as task" in result.stdout
    wait_until(lambda: len(octy.profiles) == 3, what="the worker's resync")


@pytest.mark.parametrize(
    "command", ["octy_resync", "octy_status", "octy_retry_failed", "octy_check"]
)
def test_help_from_the_command_line(command: str) -> None:
    done = manage(command, "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage:") and command in done.stdout


def test_bad_arguments_from_the_command_line() -> None:
    done = manage("octy_resync", "--since", "yesterday")
    assert done.returncode == 2
    assert "--since" in done.stderr
    assert manage("octy_retry_failed", "nonsense").returncode == 2


def test_options_are_documented_in_help() -> None:
    help_text = manage("octy_resync", "--help").stdout
    for option in ("--since", "--batch-size", "--dry-run", "--async"):
        assert option in help_text
