"""Fixtures of the sync tests: a fake Octy with fast settings, and a real Celery worker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from django_octy.sync.scheduling import reset_debounce
from django_octy.testing import FakeOcty
from tests.celery_app import app as celery_app

FAST = {
    "FLUSH_DELAY": 0.05,
    "BACKOFF_BASE": 0.05,
    "BACKOFF_MAX": 0.2,
    "MAX_RETRIES": 0,
    "TIMEOUT": 10.0,
}


@pytest.fixture
def octy(octy_settings: FakeOcty, settings: Any) -> Iterator[FakeOcty]:
    """The fake Octy, with settings.OCTY pointing at it and short delays."""
    settings.OCTY = {**settings.OCTY, **FAST}
    reset_debounce()
    yield octy_settings
    reset_debounce()


@pytest.fixture
def worker(octy: FakeOcty, transactional_db: None) -> Iterator[Any]:
    """A real Celery worker (in a thread) consuming the configured broker."""
    celery_app.control.purge()
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
    ) as started:
        yield started


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:g}s waiting for {what or condition}")
        time.sleep(0.05)


def requests_to(octy: FakeOcty, path: str) -> list[Any]:
    return [entry for entry in octy.request_log if entry.path == path]


is_postgres = connection.vendor == "postgresql"
