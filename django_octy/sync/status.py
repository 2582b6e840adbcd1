"""The state of the sync at a glance: what the dashboard and ``octy_status`` show.

Every figure is one aggregate query per mirror table (a ``GROUP BY state``, a
``MIN`` over the outstanding rows' partial index), a count of the change log
(only changes no flush has folded yet) or a query over the last day's push
log, so the page stays cheap however many rows are synced.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from ..models import MODEL_NAMES, Entity, PushLog, SyncAlarm, SyncError, SyncState
from .alarms import resolve_fixed_configurations
from .pending import oldest_waiting_change, outstanding, waiting_changes
from .resync import MIRRORS
from .targets import Target, all_targets, target_of
from .waiting import Waits, waits


@dataclass
class EntityStatus:
    """Row counts of one entity by sync state, and its oldest outstanding change.

    ``target`` is the label of the service the entity is pushed to; ``waiting``
    counts, per dependency, the outstanding rows that wait on it.
    """

    entity: str
    label: str
    model_name: str
    counts: dict[str, int]
    oldest_pending: datetime | None
    target: str = ""
    waiting: dict[str, Waits] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Activity:
    """Pushes to one target over a recent window, from the push log and the error log."""

    hours: int
    target: str = ""
    requests: int = 0
    failed_requests: int = 0
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    errors: int = 0


@dataclass
class ChangesWaiting:
    """Saved host objects that no flush has mapped into mirror rows yet (the change log):
    until then, no entity's counts show them."""

    count: int = 0
    oldest: datetime | None = None


@dataclass
class Status:
    """The entities of the targets in use (Octopus once configured), the changes waiting
    to be mapped, and each target's activity, by target name."""

    entities: list[EntityStatus] = field(default_factory=list)
    activity: dict[str, Activity] = field(default_factory=dict)
    last_alarm: SyncAlarm | None = None
    last_errors: list[SyncError] = field(default_factory=list)
    changes_waiting: ChangesWaiting = field(default_factory=ChangesWaiting)

    @property
    def oldest_pending(self) -> datetime | None:
        """The oldest change not yet confirmed by a target, waiting to be mapped or not."""
        moments = [e.oldest_pending for e in self.entities] + [self.changes_waiting.oldest]
        return min((moment for moment in moments if moment), default=None)

    def as_dict(self) -> dict[str, Any]:
        alarm = self.last_alarm
        return {
            "entities": {
                e.entity: {
                    **e.counts,
                    "total": e.total,
                    "oldest_pending": _iso(e.oldest_pending),
                    "target": e.target,
                    "waiting": {name: w.as_dict() for name, w in e.waiting.items()},
                }
                for e in self.entities
            },
            "changes_waiting": {
                "count": self.changes_waiting.count,
                "oldest": _iso(self.changes_waiting.oldest),
            },
            "oldest_pending": _iso(self.oldest_pending),
            "activity": {name: asdict(activity) for name, activity in self.activity.items()},
            "last_alarm": None
            if alarm is None
            else {
                "kind": alarm.kind,
                "message": alarm.message,
                "open": alarm.is_open,
                "occurrences": alarm.occurrences,
                "created_at": _iso(alarm.created_at),
                "last_seen_at": _iso(alarm.last_seen_at),
            },
            "last_errors": [
                {
                    "entity": error.entity,
                    "identifier": error.identifier,
                    "operation": error.operation,
                    "http_status": error.http_status,
                    "reason": error.reason,
                    "created_at": _iso(error.created_at),
                }
                for error in self.last_errors
            ],
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def entity_status(entity: Entity) -> EntityStatus:
    model = MIRRORS[entity]
    by_state = dict(model._default_manager.order_by().values_list("state").annotate(n=Count("pk")))
    oldest = outstanding(model).aggregate(at=Min("updated_at"))["at"]
    return EntityStatus(
        entity=str(entity),
        label=entity.label,
        model_name=MODEL_NAMES[entity].lower(),
        counts={state: by_state.get(state, 0) for state in SyncState.values},
        oldest_pending=oldest,
        target=target_of(entity).label,
        waiting=waits(model, outstanding(model)),
    )


def changes_waiting() -> ChangesWaiting:
    return ChangesWaiting(count=waiting_changes().count(), oldest=oldest_waiting_change())


def recent_activity(target: Target, hours: int = 24) -> Activity:
    since = timezone.now() - timedelta(hours=hours)
    entities = [str(entity) for entity in target.entities]
    pushes = PushLog.objects.filter(created_at__gte=since, entity__in=entities)
    totals = pushes.aggregate(
        requests=Count("pk"),
        failed_requests=Count("pk", filter=~Q(error="")),
        sent=Sum("sent", default=0),
        succeeded=Sum("succeeded", default=0),
        failed=Sum("failed", default=0),
    )
    errors = SyncError.objects.filter(created_at__gte=since, entity__in=entities).count()
    return Activity(hours=hours, target=target.label, errors=errors, **totals)


def status(last_errors: int = 5) -> Status:
    """Everything at once: per-entity counts and the last day's pushes of the targets in use,
    the changes waiting to be mapped, the last alarm and errors.

    A configuration alarm whose settings work again is resolved first.
    """
    resolve_fixed_configurations()
    targets = [target for target in all_targets() if target.configured()]
    return Status(
        entities=[entity_status(entity) for target in targets for entity in target.entities],
        activity={target.name: recent_activity(target) for target in targets},
        changes_waiting=changes_waiting(),
        last_alarm=SyncAlarm.objects.order_by("-last_seen_at", "-id").first(),
        last_errors=list(SyncError.objects.order_by("-created_at", "-id")[:last_errors]),
    )
