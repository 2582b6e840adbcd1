"""What the health views check: the database, the alarms, the age of the oldest change
(mapped or waiting in the change log).

Each check is a query or two on small indexes, so a probe can call it every few
seconds. What a check reports is a verdict and a figure, never an error's text:
a probe's answer may be read by anyone who can reach it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection
from django.utils import timezone

from ..conf import settings
from ..sync.pending import oldest_waiting_change
from ..sync.targets import all_targets, models_of
from .readings import age_seconds, alarm_kinds, oldest_change, open_alarms

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    facts: dict[str, Any] = field(default_factory=dict)


def database() -> Check:
    """The default database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("Health check: the database did not answer (%s)", type(error).__name__)
        return Check("database", False)
    return Check("database", True)


def alarms() -> Check:
    """No alarm of a target switched on is open: each one stops its target's pushes.

    An alarm of a target switched off stays open (only a push resolves it) but
    stops nothing, so it does not count.
    """
    watched = {kind for target in all_targets() if target.enabled() for kind in alarm_kinds(target)}
    kinds = sorted(kind.value for kind in open_alarms() & watched)
    return Check("alarms", not kinds, {"open": kinds})


def oldest_pending() -> Check:
    """The oldest pending change of a target switched on, or waiting to be mapped, is
    younger than the limit.

    Rows of a target switched off wait by choice and do not count, nor does the
    change log while ``SYNC_ENABLED`` is off (no flush maps it then);
    ``HEALTH_MAX_PENDING_AGE = None`` turns the check off.
    """
    limit = settings.HEALTH_MAX_PENDING_AGE
    if limit is None:
        return Check("oldest_pending", True, {"limit": None})
    now = timezone.now()
    changes = [
        oldest_change(model)
        for target in all_targets()
        if target.enabled()
        for model in models_of(target)
    ]
    if settings.SYNC_ENABLED:
        changes.append(oldest_waiting_change())
    oldest = min((change for change in changes if change is not None), default=None)
    age = age_seconds(oldest, now)
    return Check("oldest_pending", age <= float(limit), {"seconds": round(age), "limit": limit})


def readiness() -> list[Check]:
    """Whether this process can serve: its database answers."""
    return [database()]


def sync_health() -> list[Check]:
    """Whether the sync works: the database answers, no alarm is open, nothing waits too long."""
    reachable = database()
    if not reachable.ok:
        return [reachable]
    return [reachable, alarms(), oldest_pending()]
