"""``octy_prune`` and the ``prune`` task: each log table keeps its rows for its retention period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_octy.models import Event, Profile, PushLog, SyncError, SyncState, WebhookDelivery
from django_octy.retention import prune
from django_octy.schedule import BEAT_SCHEDULE
from django_octy.tasks import prune as prune_task

from .conftest import run

pytestmark = pytest.mark.django_db


def days_ago(days: float) -> Any:
    return timezone.now() - timedelta(days=days)


def push_logs(count: int, age_days: float) -> None:
    created = PushLog.objects.bulk_create(
        PushLog(entity="profile", operation="create", sent=1, duration=0.1) for _ in range(count)
    )
    PushLog.objects.filter(pk__in=[log.pk for log in created]).update(created_at=days_ago(age_days))


@pytest.fixture
def old_and_new() -> dict[str, Any]:
    push_logs(3, 31)
    push_logs(2, 29)
    for age in (91, 89):
        error = SyncError.objects.create(entity="item", operation="create", reason="x")
        SyncError.objects.filter(pk=error.pk).update(created_at=days_ago(age))
        delivery = WebhookDelivery.objects.create(body="{}")
        WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=days_ago(age))
    profile = Profile.objects.create(customer_id="c1")
    events = {
        "old synced": (SyncState.SYNCED, None, 91),
        "new synced": (SyncState.SYNCED, None, 89),
        "old pending": (SyncState.PENDING, None, 91),
        "old failed": (SyncState.FAILED, None, 91),
        "old synced with a key": (SyncState.SYNCED, "shop.order:1:0", 91),
    }
    for name, (state, key, age) in events.items():
        event = Event.objects.create(profile=profile, event_type=name, dedupe_key=key)
        Event.objects.filter(pk=event.pk).update(state=state, created_at=days_ago(age))
    return events


def test_rows_older_than_their_tables_period_are_deleted(old_and_new: dict[str, Any]) -> None:
    deleted = prune()

    assert deleted == {"push_log": 3, "sync_errors": 1, "webhook_deliveries": 1, "events": 1}
    assert PushLog.objects.count() == 2
    assert SyncError.objects.count() == 1 and WebhookDelivery.objects.count() == 1
    assert sorted(Event.objects.values_list("event_type", flat=True)) == [
        "new synced",
        "old failed",
        "old pending",
        "old synced with a key",
    ]


def test_each_period_is_a_setting_and_none_keeps_everything(
    old_and_new: dict[str, Any], settings: Any
) -> None:
    settings.OCTY = {
        **settings.OCTY,
        "PUSH_LOG_RETENTION_DAYS": 1,
        "SYNC_ERROR_RETENTION_DAYS": None,
        "WEBHOOK_RETENTION_DAYS": None,
        "EVENT_RETENTION_DAYS": None,
    }
    assert prune() == {"push_log": 5}
    assert SyncError.objects.count() == 2 and Event.objects.count() == 5


def test_deletes_run_in_short_batches(settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "PRUNE_BATCH_SIZE": 4}
    push_logs(10, 40)
    with CaptureQueriesContext(connection) as queries:
        assert prune()["push_log"] == 10
    deletes = [q["sql"] for q in queries if q["sql"].upper().startswith("DELETE")]
    assert len(deletes) == 3, "4 + 4 + 2 rows, one statement each"
    assert not any("created_at" in sql for sql in deletes), "each deletes listed ids only"


def test_the_command_says_what_it_deleted(old_and_new: dict[str, Any], settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "WEBHOOK_RETENTION_DAYS": None}
    done = run("octy_prune")
    assert done.code == 0
    assert "Push log: 3 rows older than 30 days deleted." in done.stdout
    assert "Webhook deliveries: kept for ever (WEBHOOK_RETENTION_DAYS is None)." in done.stdout
    assert "5 rows deleted." in done.stdout


def test_a_daily_beat_entry_runs_the_prune_task(old_and_new: dict[str, Any]) -> None:
    entry = BEAT_SCHEDULE["django-octy-prune"]
    assert entry["task"] == prune_task.name and entry["schedule"] == 86400.0
    assert prune_task.apply().get() == {
        "push_log": 3,
        "sync_errors": 1,
        "webhook_deliveries": 1,
        "events": 1,
    }
