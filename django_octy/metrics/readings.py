"""The pipeline's numbers, read from the database when asked.

Every figure comes from the change log, the mirror tables, the push log and the alarms, so any
web process answers the same numbers, however many workers, processes and
machines push: nothing is counted in a process's memory. The queries stay on
the outstanding and failed rows' partial indexes, never on the synced rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Count, ExpressionWrapper, Min, Q, Sum
from django.utils import timezone

from ..models import AlarmKind, Entity, PushLog, SyncAlarm, SyncedObject, SyncState
from ..sync.pending import outstanding
from ..sync.resync import MIRRORS
from ..sync.targets import Target, all_targets, target_of


@dataclass(frozen=True)
class Backlog:
    """The rows of one entity whose last change has not reached its target.

    ``pending`` rows wait for a flush (or for a dependency, or are in flight),
    ``backoff`` rows wait to be retried after a transient failure, ``failed``
    rows were given up on and wait for a person. ``oldest_change`` is when the
    oldest pending or backoff row last changed or was last tried.
    """

    target: str
    entity: str
    pending: int
    backoff: int
    failed: int
    oldest_change: datetime | None


@dataclass(frozen=True)
class PushTotal:
    """The push log's requests of one kind, since the log began."""

    target: str
    entity: str
    operation: str
    failed_request: bool
    """The request failed as a whole (no answer, or an error status)."""
    error_status: int | None
    requests: int
    sent: int
    succeeded: int
    rejected: int

    @property
    def unsettled(self) -> int:
        """Objects sent but neither accepted nor refused: they are sent again."""
        return self.sent - self.succeeded - self.rejected


def age_seconds(moment: datetime | None, now: datetime) -> float:
    """Seconds from ``moment`` to ``now``; 0 for none (nothing waits) and for a moment
    ahead of ``now`` (another machine's clock)."""
    return 0.0 if moment is None else max(0.0, (now - moment).total_seconds())


def oldest_change(model: type[SyncedObject]) -> datetime | None:
    """When the oldest pending or backoff row of ``model`` last changed or was last tried."""
    oldest: datetime | None = outstanding(model).aggregate(at=Min("updated_at"))["at"]
    return oldest


def backlog(target: Target, entity: Entity, now: datetime) -> Backlog:
    model = MIRRORS[entity]
    in_backoff = Q(next_attempt_at__gt=now)
    counts = outstanding(model).aggregate(
        backoff=Count("pk", filter=in_backoff),
        pending=Count("pk", filter=~in_backoff),
        oldest=Min("updated_at"),
    )
    return Backlog(
        target=target.name,
        entity=str(entity),
        pending=counts["pending"],
        backoff=counts["backoff"],
        failed=model._default_manager.filter(state=SyncState.FAILED).count(),
        oldest_change=counts["oldest"],
    )


def backlogs(now: datetime | None = None) -> Iterator[Backlog]:
    """The backlog of every entity of every target, switched on or not."""
    now = now or timezone.now()
    for target in all_targets():
        for entity in target.entities:
            yield backlog(target, entity, now)


def push_totals() -> Iterator[PushTotal]:
    """The push log summed by entity, operation and how the request went."""
    failed_request = ExpressionWrapper(~Q(error=""), output_field=BooleanField())
    groups = (
        PushLog.objects.order_by()
        .annotate(failed_request=failed_request)
        .values("entity", "operation", "failed_request", "error_status")
        .annotate(
            requests=Count("pk"),
            sent=Sum("sent", default=0),
            succeeded=Sum("succeeded", default=0),
            rejected=Sum("failed", default=0),
        )
    )
    for group in groups:
        yield PushTotal(target=target_of(group["entity"]).name, **group)


def open_alarms() -> set[AlarmKind]:
    """The kinds of alarm open now (each stops its target's pushes)."""
    kinds = SyncAlarm.objects.filter(resolved_at__isnull=True).values_list("kind", flat=True)
    return {AlarmKind(kind) for kind in kinds}


def alarm_kinds(target: Target) -> tuple[AlarmKind, ...]:
    """The kinds of alarm that stop ``target``."""
    return (target.auth_alarm, target.configuration_alarm)


def alarm_targets() -> dict[AlarmKind, str]:
    """The target each kind of alarm stops."""
    return {kind: target.name for target in all_targets() for kind in alarm_kinds(target)}
