"""The flush: drain every entity's due rows to its target, batch by batch.

For each target (Octy, Octopus) that is switched on, and each of its entities
in dependency order, a batch is claimed under a lease (one short transaction),
pushed with no transaction open, and its outcomes applied in a second
transaction guarded by the lease. What a failed request means is the target's
to say (:meth:`~django_octy.sync.targets.Target.classify`); the rest is the
same for every target. ``flush_all()`` is the plain Python entry point; the
Celery task and ``octy_resync`` both call it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..conf import settings
from ..models import Entity, Operation, PushLog, SyncedObject, SyncState
from ..signals import post_push, pre_push, push_failed
from .alarms import raise_alarm, resolve_alarms
from .apply import apply
from .claim import Claim, claim
from .handlers import Handler, PushInterrupted
from .outcomes import Outcome, Rejected, Released, Retry, Synced
from .pending import due
from .targets import Failure, NotConfigured, Target, all_targets

logger = logging.getLogger(__name__)


@dataclass
class EntitySummary:
    """What one flush did for one entity; ``requests`` counts batch pushes."""

    sent: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    retried: int = 0
    released: int = 0
    requests: int = 0

    def count(self, operation: Operation, outcome: Outcome) -> None:
        if isinstance(outcome, Synced):
            name = {"create": "created", "update": "updated", "delete": "deleted"}[operation]
            setattr(self, name, getattr(self, name) + 1)
        elif isinstance(outcome, Rejected):
            self.failed += 1
        elif isinstance(outcome, Retry):
            self.retried += 1
        else:
            self.released += 1


@dataclass
class FlushSummary:
    """What a flush did, per entity; ``stopped`` says why it stopped early, if it did.

    ``stopped_targets`` names each target that stopped, with its reason; the
    other targets went on.
    """

    entities: dict[str, EntitySummary] = field(default_factory=dict)
    stopped: str = ""
    disabled: bool = False
    stopped_targets: dict[str, str] = field(default_factory=dict)

    def stop(self, target: Target, reason: str) -> None:
        self.stopped_targets[target.name] = reason
        self.stopped = "; ".join(self.stopped_targets.values())

    def of(self, entity: Entity) -> EntitySummary:
        return self.entities.setdefault(str(entity), EntitySummary())

    def total(self, name: str) -> int:
        return sum(getattr(summary, name) for summary in self.entities.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "entities": {name: asdict(summary) for name, summary in self.entities.items()},
            "stopped": self.stopped,
            "disabled": self.disabled,
            "stopped_targets": self.stopped_targets,
        }


class StopFlush(Exception):
    """The target refused the credentials: nothing else can go through either.

    ``outcomes`` are those of the rows that went through before it stopped.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.outcomes: dict[int, Outcome] = {}


def operation_for(row: SyncedObject) -> Operation:
    if row.state == SyncState.DELETE_PENDING:
        return Operation.DELETE
    return Operation.UPDATE if row.octy_id else Operation.CREATE


def grouped(
    rows: Sequence[SyncedObject], operations: dict[int, Operation]
) -> list[tuple[Operation, list[SyncedObject]]]:
    """The rows by operation, decided before any is pushed (a push may give a row its id)."""
    groups = [
        (operation, [row for row in rows if operations[row.pk] == operation])
        for operation in (Operation.CREATE, Operation.UPDATE, Operation.DELETE)
    ]
    return [(operation, group) for operation, group in groups if group]


def chunked(rows: list[SyncedObject], size: int | None) -> Iterator[list[SyncedObject]]:
    size = size or max(len(rows), 1)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def send_signal(signal: Any, handler: Handler, **kwargs: Any) -> None:
    for receiver, error in signal.send_robust(
        sender=handler.model, entity=handler.entity, **kwargs
    ):
        if isinstance(error, Exception):
            logger.error("A receiver of a django-octy signal failed: %r", receiver, exc_info=error)


class Drain:
    """Pushes the due rows of one entity, batch by batch, each row at most once.

    It stops after the first batch that is not full: everything due at that
    claim is pushed, and a change committed since has a flush of its own on its
    way (each commit schedules one). Chasing such changes would push them a
    few at a time, one request each, while they keep coming.
    """

    def __init__(self, target: Target, handler: Handler, summary: EntitySummary) -> None:
        self.target = target
        self.handler = handler
        self.summary = summary
        self.logs: list[PushLog] = []
        self.pushed = False

    def run(self) -> None:
        limit = self.target.batch_size()
        after = 0
        handler = self.handler
        if not due(handler.model).filter(handler.scope).exists():
            return  # a read first: on SQLite an empty claim takes the write lock
        while (
            claimed := claim(handler.model, limit, after, handler.select_related, handler.scope)
        ) is not None:
            after = claimed.rows[-1].pk
            self.push_claim(claimed)
            if len(claimed.rows) < limit:
                break

    def push_claim(self, claimed: Claim[SyncedObject]) -> None:
        operations = {row.pk: operation_for(row) for row in claimed.rows}
        outcomes: dict[int, Outcome] = {}
        self.logs = []
        stop: StopFlush | None = None
        try:
            for operation, rows in grouped(claimed.rows, operations):
                if operation == Operation.DELETE:  # rows the target cannot have are gone
                    may_exist = self.handler.may_exist
                    outcomes.update(
                        {r.pk: Synced(None, deleted=True) for r in rows if not may_exist(r)}
                    )
                    rows = [row for row in rows if may_exist(row)]
                for chunk in chunked(rows, self.handler.batch_limit(operation)):
                    outcomes.update(self.push(operation, chunk))
        except StopFlush as stopped:
            outcomes.update(stopped.outcomes)
            stop = stopped
        applied = apply(self.handler, claimed, outcomes, operations, self.logs)
        self.summary.sent += len(claimed.rows)
        for row in claimed.rows:
            self.summary.count(operations[row.pk], outcomes.get(row.pk, Released()))
        self.summary.failed += applied.dead_letters
        self.summary.retried -= applied.dead_letters
        if stop is not None:
            raise stop

    def push(self, operation: Operation, rows: list[SyncedObject]) -> dict[int, Outcome]:
        """Push one batch; a batch the target refuses as a whole is split to find the culprits.

        A push interrupted part-way keeps the outcomes of the rows that went
        through; the failure is about the rows left.
        """
        send_signal(pre_push, self.handler, operation=operation, rows=rows)
        self.summary.requests += 1
        started = time.monotonic()
        try:
            outcomes = self.handler.push(operation, rows)
        except Exception as raised:
            done, error = (
                (raised.outcomes, raised.error)
                if isinstance(raised, PushInterrupted)
                else ({}, raised)
            )
            self.log(operation, rows, started, outcomes=done, error=error)
            send_signal(push_failed, self.handler, operation=operation, rows=rows, error=error)
            left = [row for row in rows if row.pk not in done]
            try:
                return {**done, **self.failed(operation, left, error)}
            except StopFlush as stop:
                stop.outcomes.update(done)
                raise
        self.pushed = True
        self.log(operation, rows, started, outcomes=outcomes)
        send_signal(post_push, self.handler, operation=operation, rows=rows, outcomes=outcomes)
        return outcomes

    def failed(
        self, operation: Operation, rows: list[SyncedObject], error: Exception
    ) -> dict[int, Outcome]:
        """The outcomes of ``rows``, whose request failed as a whole with ``error``."""
        failure = self.target.classify(error)
        if failure is Failure.STOP:
            raise StopFlush(str(error)) from error
        if failure is Failure.RETRY:
            retry = self.target.retry(error)
            return {row.pk: retry for row in rows}
        if failure is None:
            logger.error(
                "Pushing %d %s rows failed", len(rows), self.handler.entity, exc_info=error
            )
        if not rows:
            return {}
        if len(rows) == 1:
            return {rows[0].pk: self.target.rejected(operation, error)}
        middle = len(rows) // 2
        return {**self.push(operation, rows[:middle]), **self.push(operation, rows[middle:])}

    def log(
        self,
        operation: Operation,
        rows: Sequence[SyncedObject],
        started: float,
        outcomes: dict[int, Outcome] | None = None,
        error: Exception | None = None,
    ) -> None:
        outcomes = outcomes or {}
        self.logs.append(
            PushLog(
                entity=self.handler.entity,
                operation=operation,
                sent=len(rows),
                succeeded=sum(isinstance(o, Synced) for o in outcomes.values()),
                failed=sum(isinstance(o, Rejected) for o in outcomes.values()),
                error_status=getattr(error, "status", None),
                error=str(error) if error else "",
                duration=time.monotonic() - started,
            )
        )


DrainFactory = Callable[[Target, Handler, EntitySummary], Drain]
"""Makes the :class:`Drain` of one entity (a resync passes one that pushes concurrently)."""


def flush_all(
    entities: Iterable[Entity | str] | None = None, drain: DrainFactory = Drain
) -> FlushSummary:
    """Push every due row to its target, entity by entity; returns what was done.

    Safe to run in several processes at once. Does nothing when
    ``OCTY["SYNC_ENABLED"]`` is false; a target that is not switched on is
    skipped (its rows wait). A target stops, with one alarm, when it refuses
    the credentials or its settings cannot make a client; the others go on.
    """
    summary = FlushSummary()
    if not settings.SYNC_ENABLED:
        summary.disabled = True
        return summary
    wanted = {Entity(entity) for entity in entities} if entities is not None else set(Entity)
    for target in all_targets():
        if target.enabled() and wanted.intersection(target.entities):
            flush_target(target, wanted, summary, drain)
    return summary


def flush_target(
    target: Target, wanted: set[Entity], summary: FlushSummary, drain: DrainFactory = Drain
) -> None:
    """Drain the wanted entities of one target; resolve its alarms if a push went through."""
    target.prepare()
    pushed = False
    try:
        with target.connect() as handlers:
            for handler in handlers:
                if handler.entity not in wanted:
                    continue
                drainer = drain(target, handler, summary.of(handler.entity))
                try:
                    drainer.run()
                finally:
                    pushed = pushed or drainer.pushed
    except NotConfigured as error:
        summary.stop(target, str(error))
        raise_alarm(target.configuration_alarm, str(error))
        return
    except StopFlush as stop:
        summary.stop(target, str(stop))
        raise_alarm(target.auth_alarm, str(stop))
        return
    if pushed:
        resolve_alarms(target.auth_alarm, target.configuration_alarm)
