"""``octy_status``, ``octy_retry_failed`` and ``octy_check``."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from django_octy.models import (
    AlarmKind,
    HostChange,
    Item,
    Profile,
    PushLog,
    SyncError,
    SyncState,
)
from django_octy.sync.alarms import raise_alarm
from django_octy.sync.folding import fold_changes
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, Product

from .conftest import run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rows() -> None:
    Profile.objects.bulk_create(
        [
            Profile(customer_id="a", state=SyncState.SYNCED, octy_id="p1"),
            Profile(customer_id="b", state=SyncState.FAILED, last_error="bad age"),
            Profile(customer_id="c", state=SyncState.PENDING),
        ]
    )
    Profile.objects.filter(customer_id="c").update(
        updated_at=timezone.now() - timedelta(hours=3, minutes=5)
    )
    Item.objects.create(item_id="tent", item_category="camp", item_name="Tent")
    SyncError.objects.create(
        entity="profile", identifier="b", operation="create", http_status=400, reason="bad age"
    )
    PushLog.objects.create(
        entity="profile", operation="create", sent=2, succeeded=1, failed=1, duration=0.1
    )


def test_status_shows_counts_per_entity_and_state(rows: None) -> None:
    result = run("octy_status")

    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["Entity", "Pending", "Synced"]
    profile = next(line for line in lines if line.startswith("Profile"))
    assert profile.split()[:7] == ["Profile", "1", "1", "1", "0", "0", "3"]
    assert "3 h 5 min" in profile
    assert (
        "Octy, last 24 h: 1 requests (0 failed), 1 of 2 objects accepted, 1 errors logged"
        in result.stdout
    )
    assert "Alarms: none." in result.stdout
    assert "Create profile b: bad age" in result.stdout


def test_status_json(rows: None) -> None:
    raise_alarm(AlarmKind.AUTH, "Octy refused the keys (HTTP 401)")

    result = run("octy_status", "--json")

    data = json.loads(result.stdout)
    assert data["entities"]["profile"]["failed"] == 1
    assert data["entities"]["item"]["pending"] == 1
    assert data["entities"]["profile"]["oldest_pending"] == data["oldest_pending"] is not None
    assert data["activity"]["octy"]["sent"] == 2
    assert data["last_alarm"]["open"] is True
    assert data["last_errors"][0]["identifier"] == "b"


@pytest.fixture
def saved() -> None:
    """Two saves no flush has mapped yet, the older one 5 hours ago."""
    Customer.objects.create(email="new@example.com")
    Product.objects.create(sku="TEA", name="Tea", category="drinks", price=Decimal(1))
    oldest = HostChange.objects.order_by("pk").first()
    assert oldest is not None
    HostChange.objects.filter(pk=oldest.pk).update(
        recorded_at=timezone.now() - timedelta(hours=5, minutes=2)
    )


def test_status_shows_the_changes_waiting_to_be_mapped(rows: None, saved: None) -> None:
    result = run("octy_status")

    assert "Changes waiting to be mapped: 2 (oldest 5 h 2 min)." in result.stdout
    profile = next(line for line in result.stdout.splitlines() if line.startswith("Profile"))
    assert profile.split()[:7] == ["Profile", "1", "1", "1", "0", "0", "3"], "not mapped yet"

    data = json.loads(run("octy_status", "--json").stdout)
    waiting = data["changes_waiting"]
    assert waiting["count"] == 2
    assert (
        data["oldest_pending"] == waiting["oldest"] != data["entities"]["profile"]["oldest_pending"]
    )

    fold_changes()
    assert "Changes waiting to be mapped: 0." in run("octy_status").stdout
    data = json.loads(run("octy_status", "--json").stdout)
    assert data["changes_waiting"] == {"count": 0, "oldest": None}
    assert data["entities"]["profile"]["pending"] == 2


def test_status_lists_octopus_only_once_it_is_configured(rows: None, settings: Any) -> None:
    PushLog.objects.create(entity="octopus_entry", operation="create", sent=3, duration=0.1)
    SyncError.objects.create(entity="octopus_entry", identifier="e1", operation="create")

    without = run("octy_status")

    assert "Octopus" not in without.stdout
    assert "1 of 2 objects accepted, 1 errors logged" in without.stdout, "Octy's alone"

    settings.OCTOPUS = {"BASE_URL": "https://crm.example", "TOKEN": "t"}
    data = json.loads(run("octy_status", "--json").stdout)

    assert data["entities"]["octopus_entry"]["target"] == "Octopus"
    assert data["activity"]["octy"]["sent"] == 2 and data["activity"]["octy"]["errors"] == 1
    assert data["activity"]["octopus"]["sent"] == 3 and data["activity"]["octopus"]["errors"] == 1


def test_status_shows_an_open_alarm(rows: None) -> None:
    raise_alarm(AlarmKind.AUTH, "HTTP 401")
    assert "Alarm (open" in run("octy_status").stdout


def test_retry_failed_requeues_only_failed_rows_of_the_named_entities(rows: None) -> None:
    Item.objects.filter(item_id="tent").update(state=SyncState.FAILED, attempts=10)

    result = run("octy_retry_failed", "profile")

    assert result.code == 0
    assert "Profile: 1 failed rows queued again." in result.stdout
    assert Profile.objects.get(customer_id="b").state == SyncState.PENDING
    assert Item.objects.get().state == SyncState.FAILED
    assert run("octy_retry_failed", "profile").stdout.strip() == "No failed rows: nothing to retry."
    assert run("octy_retry_failed", "nonsense").code == 1


def test_retry_failed_rows_are_pushed_by_the_next_flush(octy: FakeOcty, rows: None) -> None:
    run("octy_retry_failed")
    assert run("octy_resync", "--since", "2999-01-01").code == 0
    assert {"b", "c"} <= set(octy.profiles)


def test_check_accepts_good_keys(octy: FakeOcty) -> None:
    result = run("octy_check")

    assert result.code == 0, result.stderr
    assert "Octy accepted the keys." in result.stdout
    assert octy.secret_key not in result.stdout + result.stderr
    assert "Secret key: set (hidden)" in result.stdout


def test_check_explains_refused_keys(octy: FakeOcty, settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "SECRET_KEY": "sk_wrong_one"}

    result = run("octy_check")

    assert result.code == 1
    assert "Octy refused the keys" in result.stderr
    assert "sk_wrong_one" not in result.stdout + result.stderr


def test_check_explains_a_server_that_is_down(octy: FakeOcty) -> None:
    octy.stop()

    result = run("octy_check")

    assert result.code == 1
    assert "Octy did not answer" in result.stderr


def test_check_explains_missing_settings(settings: Any) -> None:
    settings.OCTY = {"BASE_URL": "http://octy.example", "BATCH_SIZE": 900}

    result = run("octy_check")

    assert result.code == 1
    for check_id in ("E001", "E002", "E003", "E004"):
        assert f"django_octy.{check_id}" in result.stdout
    assert "3 setting problems" not in result.stderr and "4 setting problems" in result.stderr
