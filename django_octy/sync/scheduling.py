"""Waking the flush: after commit, debounced, and never failing the host's request.

Celery only wakes the drain; the database is the queue. So scheduling is
best effort: when the broker is down the change is still in the database, and
the periodic sweep schedules a flush once the broker is back.

The debounce adapts to the rate of commits (see :class:`Debounce`): the first
commit after a quiet spell is flushed at once; while commits keep coming, each
flush waits twice as long as the one before, from ``FLUSH_DELAY`` up to
``FLUSH_MAX_WAIT``, so a steady stream costs one flush per ``FLUSH_MAX_WAIT``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from django.db import transaction

from ..conf import settings

logger = logging.getLogger(__name__)

BROKER_DOWN_PAUSE = 30.0
"""Seconds during which a process does not try the broker again after it failed."""


@dataclass
class Debounce:
    """The flush this process sent last, and how to time the next one.

    Every commit asks :meth:`countdown`; a flush is sent when it answers a
    number. Time is passed in, so the decision is tested with a made-up clock.
    """

    due_at: float = -math.inf
    """When the last flush sent runs: a commit before then is in its claim."""
    wait: float = 0.0
    """The countdown of the last flush sent."""
    covered: int = 0
    """Commits since then that the last flush will carry."""

    def countdown(self, now: float, delay: float, max_wait: float, batch_size: int) -> float | None:
        """Seconds the flush of a commit at ``now`` waits; None when one on its way covers it.

        No commit for ``delay`` since the last flush ran: at once. Commits
        still coming: ``delay``, then twice the last wait, up to ``max_wait``,
        which bounds how long a change waits. A full batch of commits waiting:
        at once, beside the flush already on its way.
        """
        if now < self.due_at:
            self.covered += 1
            if self.covered < batch_size:
                return None
            self.covered = 0
            return 0.0
        if now - self.due_at >= delay:
            self.wait = 0.0
        else:
            self.wait = min(max(2 * self.wait, delay), max(max_wait, delay))
        self.start(now, self.wait)
        return self.wait

    def start(self, now: float, wait: float) -> None:
        """Remember a flush due ``wait`` seconds after ``now``."""
        self.due_at = now + wait
        self.covered = 0


_lock = threading.Lock()
_debounce = Debounce()


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

    Its countdown is ``delay`` when given, else the debounce's. Returns whether
    a task was sent. Never raises: a broker that cannot be reached is logged and
    left to the sweep.
    """
    if not settings.SYNC_ENABLED:
        return False
    countdown = next_countdown(time.monotonic(), delay)
    if countdown is None:
        return False
    try:
        send_flush(countdown)
    except Exception as error:  # the broker's errors vary by transport; none may reach the host
        with _lock:
            _debounce.start(time.monotonic(), BROKER_DOWN_PAUSE)
        logger.warning(
            "Could not schedule an Octy flush (%s); "
            "the changes are saved and the periodic sweep will push them.",
            why_not_sent(error),
            exc_info=True,
        )
        return False
    return True


def next_countdown(now: float, delay: float | None) -> float | None:
    """This process's debounce decision for a commit at ``now`` (see :class:`Debounce`)."""
    with _lock:
        if delay is None:
            return _debounce.countdown(
                now,
                float(settings.FLUSH_DELAY),
                float(settings.FLUSH_MAX_WAIT),
                settings.BATCH_SIZE,
            )
        if now < _debounce.due_at:
            return None
        _debounce.start(now, delay)
        return delay


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
    """Forget the flushes sent: the next commit is flushed at once (for tests and after a fork)."""
    global _debounce
    with _lock:
        _debounce = Debounce()
