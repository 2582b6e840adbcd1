"""Alarms: one open row per kind of problem that stops every push."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..models import AlarmKind, SyncAlarm

logger = logging.getLogger(__name__)


def raise_alarm(kind: AlarmKind, message: str) -> None:
    """Open an alarm of ``kind``, or count one more occurrence of the open one."""
    logger.error("Sync stopped (%s): %s", kind.label, message)
    seen = {"occurrences": F("occurrences") + 1, "last_seen_at": timezone.now(), "message": message}
    open_alarm = SyncAlarm.objects.filter(kind=kind, resolved_at__isnull=True)
    if open_alarm.update(**seen):
        return
    try:
        with transaction.atomic():
            SyncAlarm.objects.create(kind=kind, message=message)
    except IntegrityError:  # another flusher opened it meanwhile
        open_alarm.update(**seen)


def resolve_fixed_configurations() -> None:
    """Close the configuration alarm of each target whose settings now make a client.

    Such an alarm says the settings cannot work, so it is over once they can: before
    any push goes through, and even when nothing is left to push. (A refused-keys
    alarm is not: only the target can say it accepts the keys again.)
    """
    from .targets import all_targets

    for target in all_targets():
        if target.enabled() and target.settings_problem() is None:
            resolve_alarms(target.configuration_alarm)


def resolve_alarms(*kinds: AlarmKind) -> int:
    """Close the open alarms of these kinds (a push went through again)."""
    return SyncAlarm.objects.filter(kind__in=kinds, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
