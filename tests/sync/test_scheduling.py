"""Waking the flush: one commit callback per transaction, more flushers for a backlog, and
the follow-up a flush schedules for the rows it leaves waiting."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from django_octy import tasks
from django_octy.models import HostChange, Profile, SyncState
from django_octy.signals import pre_push
from django_octy.sync.scheduling import schedule_flush
from django_octy.sync.targets import another_flusher_would_help
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

from .conftest import FAST, is_postgres

pytestmark = pytest.mark.django_db


def flush_callbacks(callbacks: list[Any]) -> int:
    return sum(1 for callback in callbacks if callback is schedule_flush)


def create_in_a_rolled_back_savepoint(email: str) -> None:
    try:
        with transaction.atomic():
            Customer.objects.create(email=email)
            raise RuntimeError("roll the savepoint back")
    except RuntimeError:
        pass


def test_a_transaction_of_many_saves_registers_one_flush(
    octy: FakeOcty, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for number in range(200):
            Customer.objects.create(email=f"c{number}@example.com")

    assert HostChange.objects.count() == 200
    assert flush_callbacks(callbacks) == 1


def test_a_rolled_back_savepoint_keeps_the_flush_of_the_saves_before_it(
    octy: FakeOcty, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        Customer.objects.create(email="kept@example.com")
        create_in_a_rolled_back_savepoint("ghost@example.com")

    assert list(HostChange.objects.values_list("object_id", flat=True)) == [
        str(Customer.objects.get(email="kept@example.com").pk)
    ]
    assert flush_callbacks(callbacks) == 1


def test_saves_only_inside_a_rolled_back_savepoint_leave_no_flush_behind(
    octy: FakeOcty, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        create_in_a_rolled_back_savepoint("ghost@example.com")
        Customer.objects.create(email="after@example.com")

    assert HostChange.objects.count() == 1
    assert flush_callbacks(callbacks) == 1


def batch_size(settings: Any, size: int) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": size}


@pytest.mark.skipif(not is_postgres, reason="needs PostgreSQL (SKIP LOCKED)")
def test_another_flusher_helps_only_with_more_than_one_claim_due(
    octy: FakeOcty, settings: Any
) -> None:
    Profile.objects.bulk_create(Profile(customer_id=f"c{n}") for n in range(5))

    batch_size(settings, 4)
    assert another_flusher_would_help()
    batch_size(settings, 5)
    assert not another_flusher_would_help()


@pytest.mark.skipif(not is_postgres, reason="needs PostgreSQL (SKIP LOCKED)")
def test_a_switched_off_target_s_batch_size_does_not_count(octy: FakeOcty, settings: Any) -> None:
    settings.OCTOPUS = {"BATCH_SIZE": 2}  # no BASE_URL: the Octopus target is off
    Profile.objects.bulk_create(Profile(customer_id=f"c{n}") for n in range(5))

    batch_size(settings, 5)
    assert not another_flusher_would_help()


@pytest.mark.skipif(is_postgres, reason="SQLite's flushers queue on its write lock")
def test_on_sqlite_one_flusher_drains_a_backlog(octy: FakeOcty, settings: Any) -> None:
    Profile.objects.bulk_create(Profile(customer_id=f"c{n}") for n in range(5))

    batch_size(settings, 1)
    assert not another_flusher_would_help()


@pytest.fixture
def follow_ups(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    """The delays of the flushes the flush task schedules for itself."""
    delays: list[float | None] = []

    def record(delay: float | None = None) -> bool:
        delays.append(delay)
        return True

    monkeypatch.setattr(tasks, "schedule_flush", record)
    return delays


def test_rows_committed_during_a_flush_are_left_to_their_own_flush(
    octy: FakeOcty, follow_ups: list[float | None]
) -> None:
    first = Customer.objects.create(email="first@example.com")
    late: list[Customer] = []

    def save_another(**_: Any) -> None:
        if not late:
            late.append(Customer.objects.create(email="late@example.com"))

    pre_push.connect(save_another, sender=Profile, weak=False)
    try:
        tasks.flush.apply()
    finally:
        pre_push.disconnect(save_another, sender=Profile)

    assert Profile.objects.get(customer_id=str(first.pk)).state == SyncState.SYNCED
    assert list(HostChange.objects.values_list("object_id", flat=True)) == [str(late[0].pk)]
    assert follow_ups == []


def test_rows_a_flush_puts_back_in_backoff_get_a_follow_up(
    octy: FakeOcty, follow_ups: list[float | None]
) -> None:
    Customer.objects.create(email="ann@example.com")
    octy.inject("/v1/retention/profiles/create", status=503, times=1)

    tasks.flush.apply()

    row = Profile.objects.get()
    assert row.state == SyncState.PENDING and row.next_attempt_at is not None
    assert len(follow_ups) == 1
    assert follow_ups[0] is not None and follow_ups[0] >= FAST["FLUSH_DELAY"]


MISSING_MODULE = """
import logging, sys
sys.modules["packaging"] = None  # installed here; absent where only django-octy[redis] was
import django
django.setup()
import tests.celery_app
from django_octy.sync.scheduling import schedule_flush
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
assert schedule_flush() is False
"""


def test_a_transport_s_missing_module_is_named_not_blamed_on_the_broker() -> None:
    """kombu's Redis transport imports ``packaging`` without depending on it."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",  # never reached: the import fails first
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    done = subprocess.run(
        [sys.executable, "-c", MISSING_MODULE], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    warning = done.stderr.splitlines()[0]
    assert "imports 'packaging', which is not installed: pip install packaging" in warning
    assert "broker reachable" not in warning


def flush_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "django_octy.sync.flush" and record.getMessage().startswith("Flush")
    ]


def test_a_flush_that_went_through_logs_one_debug_line(
    octy: FakeOcty, caplog: pytest.LogCaptureFixture
) -> None:
    Customer.objects.create(email="ann@example.com")
    caplog.set_level(logging.DEBUG)

    result = tasks.flush.apply().result

    assert result is None, "Celery logs a task's result at INFO, after every flush"
    [(level, line)] = flush_lines(caplog)
    assert level == logging.DEBUG
    assert "; profile: 1 sent, 1 created, 1 requests" in line


def test_a_flush_with_refusals_logs_them_at_info(
    octy: FakeOcty, caplog: pytest.LogCaptureFixture
) -> None:
    Customer.objects.create(email="ann@example.com")
    bob = Customer.objects.create(email="bob@example.com")
    octy.reject_object(str(bob.pk), "Profile blocked")
    caplog.set_level(logging.INFO)

    tasks.flush.apply()

    [(level, line)] = flush_lines(caplog)
    assert level == logging.INFO
    assert "; profile: 2 sent, 1 created, 1 failed, 1 requests" in line


def test_a_flush_with_nothing_due_logs_nothing_at_info(
    octy: FakeOcty, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tasks.flush.apply()
    assert flush_lines(caplog) == []
