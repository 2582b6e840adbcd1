"""Celery tasks: ``flush`` drains the pending rows, ``sweep`` wakes it periodically,
``reconcile`` records the host changes no signal saw, ``pull`` and ``pull_octopus``
read back from Octy and from the Octopus CRM, ``prune`` deletes old log rows.

Both are idempotent and take no arguments but entity names: the database is the
queue, a task only says "look now". Their beat entries are in
:mod:`django_octy.schedule`.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db import DatabaseError

from .conf import settings
from .readback.octopus import pull_entries
from .readback.pulling import pull as pull_entity
from .retention import prune as prune_logs
from .sync.flush import FlushSummary, flush_all
from .sync.pending import has_due_rows, seconds_until_due, seconds_until_retry
from .sync.reconcile import reconcile as reconcile_changes
from .sync.scheduling import schedule_flush, send_flush
from .sync.targets import another_flusher_would_help

FOLLOW_UP_HORIZON = 300.0
"""A flush schedules the next one itself when rows it leaves are due within this many
seconds; later ones are left to the sweep."""


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def flush(self: Task[..., Any], entities: list[str] | None = None) -> None:
    """Push every due row (of ``entities``, default all) to its target.

    It returns nothing: Celery logs a task's result at INFO, and a flush runs every
    few seconds; ``flush_all`` logs its own line, at INFO only when it is worth it.

    A flush that finds more than one batch due (on a database whose claims skip
    locked rows) first sends one more flush, so that an idle worker joins in;
    that one does the same, until every worker is busy or one batch at most is
    left. Not when run eagerly: the other worker would be this very call.
    """
    if settings.SYNC_ENABLED and not self.request.is_eager and another_flusher_would_help():
        send_flush()
    summary = flush_all(entities)
    if not (summary.stopped or summary.disabled):
        follow_up(summary)


def follow_up(summary: FlushSummary) -> None:
    """Schedule the flush of rows left waiting: in backoff, or put back by this one.

    Rows due now because they were committed while it ran are not its to chase:
    each commit schedules a flush of its own, and the sweep catches one whose
    flush was never sent. Chasing them too would run a second train of flushes
    beside the savers' own, each pushing a few rows in requests of their own.
    """
    put_back = summary.total("retried") or summary.total("released")
    wait = seconds_until_due() if put_back else seconds_until_retry()
    if wait is not None and wait <= FOLLOW_UP_HORIZON:
        schedule_flush(delay=max(wait, float(settings.FLUSH_DELAY)))


@shared_task(acks_late=True, ignore_result=True)
def sweep() -> bool:
    """Send a flush when rows are due: catches changes whose flush was never sent."""
    if not settings.SYNC_ENABLED or not has_due_rows():
        return False
    send_flush()
    return True


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), max_retries=3)
def reconcile() -> dict[str, Any]:
    """Record the host changes no signal saw, over the last ``OCTY["RECONCILE_WINDOW"]``."""
    return reconcile_changes(settings.RECONCILE_WINDOW).as_dict()


# Read-back: what Octy computes, pulled into the mirror.


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), max_retries=3)
def pull(entity: str, ids: list[int] | None = None) -> dict[str, Any]:
    """Fetch ``entity`` from Octy into the mirror (``ids``: mirror-row primary keys; all if None).

    Pulling profiles reads back their churn probability, RFM score and
    segments, and records Octy's identity merges.
    """
    return pull_entity(entity, ids).as_dict()


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), max_retries=3)
def pull_octopus(
    query: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    top: int | None = None,
) -> dict[str, Any]:
    """Read the Octopus entries matching ``query`` (a ``SearchQuery``) into the mirror."""
    return pull_entries(query, fields, top).as_dict()


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), max_retries=3)
def prune() -> dict[str, int]:
    """Delete log rows older than their retention period (see :mod:`django_octy.retention`)."""
    return prune_logs()
