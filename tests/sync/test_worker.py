"""The whole pipeline with a real Celery worker: saves → on_commit → flush task → fake Octy."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_prerun
from django.db import transaction

from django_octy.models import HostChange, Profile, SyncState
from django_octy.schedule import BEAT_SCHEDULE
from django_octy.signals import pre_push
from django_octy.sync.pending import nothing_to_push
from django_octy.sync.scheduling import reset_debounce, send_flush
from django_octy.tasks import sweep
from django_octy.testing import FakeOcty
from tests.celery_app import app as celery_app
from tests.shop.models import Customer

from .conftest import is_postgres, requests_to, wait_until

CREATE_PROFILES = "/v1/retention/profiles/create"

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def flush_runs() -> Iterator[list[str]]:
    """The flush tasks the worker ran."""
    runs: list[str] = []

    def count(sender: Any = None, **_: Any) -> None:
        if sender is not None and sender.name == "django_octy.tasks.flush":
            runs.append(sender.name)

    task_prerun.connect(count, weak=False)
    yield runs
    task_prerun.disconnect(count)


def all_synced() -> bool:
    return nothing_to_push([Profile])


def created_once(octy: FakeOcty) -> Counter[str]:
    return Counter(
        profile["customer_id"]
        for entry in requests_to(octy, CREATE_PROFILES)
        if entry.status is not None and entry.status < 300
        for profile in entry.body["profiles"]
    )


def test_ten_thousand_saves_in_one_transaction(
    octy: FakeOcty, worker: Any, flush_runs: list[str]
) -> None:
    with transaction.atomic():
        everyone = [Customer.objects.create(email=f"c{i}@example.com") for i in range(8000)]
        for customer in everyone[:2000]:
            customer.city = "latest"
            customer.save()

    wait_until(all_synced, timeout=120, what="every profile synced")

    assert len(octy.request_log) <= 20 + 20
    assert created_once(octy) == Counter({str(c.pk): 1 for c in everyone})
    assert requests_to(octy, "/v1/retention/profiles/update") == []
    assert {octy.profiles[str(c.pk)]["profile_data"]["city"] for c in everyone[:2000]} == {"latest"}
    assert len(flush_runs) <= 5


def test_a_rolled_back_transaction_pushes_nothing(octy: FakeOcty, worker: Any) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        Customer.objects.create(email="ghost@example.com")
        raise RuntimeError("rolled back")
    kept = Customer.objects.create(email="kept@example.com")

    wait_until(lambda: str(kept.pk) in octy.profiles, what="the committed customer")
    assert list(octy.profiles) == [str(kept.pk)]
    assert Profile.objects.count() == 1


def test_an_edit_during_an_in_flight_push_is_pushed_afterwards(octy: FakeOcty, worker: Any) -> None:
    in_flight = threading.Event()

    def started(**_: Any) -> None:
        in_flight.set()

    pre_push.connect(started, sender=Profile, weak=False)
    octy.inject(CREATE_PROFILES, delay=1.0)
    try:
        ann = Customer.objects.create(email="ann@example.com", city="Oslo")
        assert in_flight.wait(10)
        ann.city = "Bergen"
        ann.save()
    finally:
        pre_push.disconnect(started, sender=Profile)

    wait_until(all_synced, what="the edit pushed")
    assert octy.profiles[str(ann.pk)]["profile_data"]["city"] == "Bergen"
    row = Profile.objects.get()
    assert (row.state, row.version, row.synced_version) == (SyncState.SYNCED, 2, 2)
    assert len(requests_to(octy, CREATE_PROFILES)) == 1
    assert len(requests_to(octy, "/v1/retention/profiles/update")) == 1


def test_changes_saved_while_the_broker_is_down_are_pushed_by_the_sweep(
    octy: FakeOcty,
    transactional_db: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery lets it win over the app's
    down = Celery("broker_down", broker="redis://127.0.0.1:1/0")
    down.set_current()
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="django_octy.sync.scheduling"):
            saved = [Customer.objects.create(email=f"c{i}@example.com") for i in range(20)]
        assert time.monotonic() - started < 10
    finally:
        celery_app.set_current()
        monkeypatch.undo()
    assert "Could not schedule an Octy flush" in caplog.text
    assert HostChange.objects.count() == 20  # recorded, in the host's transactions
    assert octy.request_log == []

    reset_debounce()
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False):
        assert BEAT_SCHEDULE["django-octy-sweep"]["task"] == sweep.name
        sweep.delay()
        wait_until(all_synced, what="the sweep's flush")
    assert created_once(octy) == Counter({str(c.pk): 1 for c in saved})


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres, reason="needs PostgreSQL (SKIP LOCKED)")
@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_workers_share_the_work_without_duplicates(
    octy: FakeOcty, transactional_db: None, settings: Any, workers: int
) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 250}
    octy.latency = 0.02  # so that the workers' pushes overlap
    # Mirror rows made directly are pending changes too (and cost no host mapping).
    Profile.objects.bulk_create([Profile(customer_id=f"c{i}") for i in range(20000)])
    everyone = [f"c{i}" for i in range(20000)]

    pushers: set[str] = set()

    def note_pusher(**_: Any) -> None:
        pushers.add(threading.current_thread().name)

    celery_app.control.purge()
    pre_push.connect(note_pusher, sender=Profile, weak=False)
    try:
        # One worker whose pool runs ``workers`` flushes at once, each with its own
        # database connection: the same contention as that many worker machines.
        with start_worker(
            celery_app,
            pool="threads",
            concurrency=workers,
            perform_ping_check=False,
            shutdown_timeout=60,
        ):
            for _ in range(workers):
                send_flush()
            wait_until(all_synced, timeout=240, what="20,000 profiles synced")
    finally:
        pre_push.disconnect(note_pusher, sender=Profile)

    assert created_once(octy) == Counter(dict.fromkeys(everyone, 1))
    assert len(octy.profiles) == 20000
    assert Profile.objects.filter(state=SyncState.SYNCED).count() == 20000
    assert len(pushers) > 1, "the workers should have shared the batches"
