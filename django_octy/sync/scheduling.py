"""Waking the flush: after commit, debounced, and never failing the host's request.

Celery only wakes the drain; the database is the queue. So scheduling is
best effort: when the broker is down the change is still in the database, and
the periodic sweep schedules a flush once the broker is back.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import transaction

from ..conf import settings

logger = logging.getLogger(__name__)

BROKER_DOWN_PAUSE = 30.0
"""Seconds during which a process does not try the broker again after it failed."""

_lock = threading.Lock()
_quiet_until = 0.0


def request_flush() -> None:
    """Schedule a flush once the current transaction commits (at once outside one).

    A transaction that saves many objects registers one callback, not one a save.
    """
    if settings.SYNC_ENABLED and not flush_already_requested():
        transaction.on_commit(schedule_flush)


def flush_already_requested() -> bool:
    """Whether the last commit callback of the open transaction is a flush already.

    A callback still on the list survives every rollback that a new one would
    survive: a rollback of a savepoint that was open when it was registered
    discards both, and the savepoints released since can no longer roll back.
    Only the last callback is looked at, so a save stays O(1).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block or not connection.run_on_commit:
        return False
    _savepoints, callback, _robust = connection.run_on_commit[-1]
    return callback is schedule_flush


def schedule_flush(delay: float | None = None) -> bool:
    """Send a flush task unless this process already has one on its way.

    Returns whether a task was sent. Never raises: a broker that cannot be
    reached is logged and left to the sweep.
    """
    global _quiet_until
    if not settings.SYNC_ENABLED:
        return False
    countdown = float(settings.FLUSH_DELAY if delay is None else delay)
    now = time.monotonic()
    with _lock:
        if now < _quiet_until:
            return False
        _quiet_until = now + countdown
    try:
        send_flush(countdown)
    except Exception as error:  # the broker's errors vary by transport; none may reach the host
        with _lock:
            _quiet_until = time.monotonic() + BROKER_DOWN_PAUSE
        logger.warning(
            "Could not schedule an Octy flush (%s); "
            "the changes are saved and the periodic sweep will push them.",
            why_not_sent(error),
            exc_info=True,
        )
        return False
    return True


def why_not_sent(error: Exception) -> str:
    """What to look at when sending a task failed: a missing module is not the broker's fault."""
    if isinstance(error, ImportError):
        module = (error.name or "").partition(".")[0] or "a module"
        return (
            f"the Celery broker's transport imports {module!r}, which is not installed: "
            f"pip install {module}"
        )
    return "is the Celery broker reachable?"


def send_flush(countdown: float = 0.0) -> None:
    """Send one flush task to the configured queue, bypassing the debounce."""
    from ..tasks import flush

    options = {"queue": settings.CELERY_QUEUE} if settings.CELERY_QUEUE else {}
    flush.apply_async(countdown=countdown, retry=False, **options)


def reset_debounce() -> None:
    """Forget that a flush is on its way (for tests and after a fork)."""
    global _quiet_until
    with _lock:
        _quiet_until = 0.0
