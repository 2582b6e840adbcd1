"""The flush: drain every entity's due rows to its target, batch by batch.

For each target (Octy, Octopus) that is switched on, and each of its entities
in dependency order, a batch is claimed under a lease (one short transaction),
pushed with no transaction open, and its outcomes applied in a second
transaction guarded by the lease. The push ends inside the lease: its retries
stop, and no request starts, past a deadline that leaves one request's
timeouts and the write-back before the lease may run out. A flush that fails
releases its claim at once. What a failed request means is the target's
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
from ..http.retrying import DeadlinePassed, deadline
from ..models import Entity, Operation, PushLog, SyncedObject, SyncState
from ..signals import post_push, pre_push, push_failed
from .alarms import raise_alarm, resolve_alarms
from .apply import apply, on_a_working_connection
from .claim import Claim, claim, release
from .folding import fold_changes
from .handlers import Handler, PushInterrupted
from .outcomes import Outcome, Rejected, Released, Retry, Synced
from .pending import due
from .targets import Failure, NotConfigured, Target, all_targets

logger = logging.getLogger(__name__)

WRITE_BACK_SHARE = 0.1
"""The share of a lease kept, after a push's last request, for writing its results back."""

SHORTEST_PUSH = 1.0
"""Seconds a push may send requests for, however short its lease: it is never stuck."""


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

    def describe(self) -> str:
        """One line: the non-zero counts of each entity that sent rows, and why targets stopped."""
        parts = [
            f"{name}: "
            + ", ".join(f"{value} {key}" for key, value in asdict(counts).items() if value)
            for name, counts in self.entities.items()
            if counts.sent
        ]
        parts += [f"{name} stopped: {reason}" for name, reason in self.stopped_targets.items()]
        return "; ".join(parts)

    def worth_noticing(self) -> bool:
        """Whether a person may want to act: rows refused, in backoff or put back, a target
        stopped. A flush where everything went through is routine."""
        return bool(
            self.stopped or self.total("failed") or self.total("retried") or self.total("released")
        )

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
        try:
            with deadline(push_deadline(self.target, claimed)):
                outcomes, stop = self.push_rows(claimed, operations)
            applied = on_a_working_connection(
                lambda: apply(self.handler, claimed, outcomes, operations, self.logs),
                self.handler.model,
            )
        except BaseException:
            release_after_failure(claimed)
            raise
        self.summary.sent += len(claimed.rows)
        for row in claimed.rows:
            self.summary.count(operations[row.pk], outcomes.get(row.pk, Released()))
        self.summary.failed += applied.dead_letters
        self.summary.retried -= applied.dead_letters
        if stop is not None:
            raise stop

    def push_rows(
        self, claimed: Claim[SyncedObject], operations: dict[int, Operation]
    ) -> tuple[dict[int, Outcome], StopFlush | None]:
        """The outcome of each row pushed, and why the target stopped the flush, if it did."""
        outcomes: dict[int, Outcome] = {}
        self.logs = []
        try:
            for operation, rows in grouped(claimed.rows, operations):
                if operation == Operation.DELETE:
                    rows = self.to_delete(rows, outcomes)
                for chunk in chunked(rows, self.handler.batch_limit(operation)):
                    outcomes.update(self.push(operation, chunk))
        except StopFlush as stopped:
            outcomes.update(stopped.outcomes)
            return outcomes, stopped
        return outcomes, None

    def to_delete(
        self, rows: list[SyncedObject], outcomes: dict[int, Outcome]
    ) -> list[SyncedObject]:
        """The rows whose objects the target has, to delete there; the others are gone already.

        A row without the target's id whose create was sent may have been
        created all the same (the answer lost): it is looked up by its own id.
        """
        unsure = [row for row in rows if not row.octy_id and row.create_sent]
        if unsure:
            try:
                found = self.handler.find_remote_ids(unsure)
            except Exception as error:
                outcomes.update(self.lookup_failed(unsure, error))
                found = {}
            for row in unsure:
                row.octy_id = found.get(row.pk)
        may_exist = self.handler.may_exist
        outcomes.update(
            {
                row.pk: Synced(None, deleted=True)
                for row in rows
                if not may_exist(row) and row.pk not in outcomes
            }
        )
        return [row for row in rows if row.pk not in outcomes]

    def lookup_failed(self, rows: list[SyncedObject], error: Exception) -> dict[int, Outcome]:
        """The rows a failed lookup was for wait (dropping their deletion could leave objects)."""
        if isinstance(error, DeadlinePassed):
            return {row.pk: Released(str(error)) for row in rows}
        failure = self.target.classify(error)
        if failure is Failure.STOP:
            raise StopFlush(str(error)) from error
        if failure is Failure.RETRY:
            retry = self.target.retry(error)
        else:
            logger.error("Looking up %s rows failed", self.handler.entity, exc_info=error)
            retry = Retry(f"Looking the object up before deleting it failed: {error}")
        return {row.pk: retry for row in rows}

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
        if isinstance(error, DeadlinePassed):  # not sent: nothing is counted against the rows
            return {row.pk: Released(str(error)) for row in rows}
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


def push_deadline(target: Target, claimed: Claim[SyncedObject]) -> float:
    """When a push of ``claimed`` must have sent its last request (``time.monotonic()``).

    One request's timeouts and a share of the lease for the write-back before
    the lease may run out: the push never outlives its lease, and no other
    flusher pushes the rows while it is still running. A lease too short for
    one request (system check E009) still gives a push :data:`SHORTEST_PUSH`.
    """
    lease = float(settings.LEASE_SECONDS)
    room = lease * (1 - WRITE_BACK_SHARE) - target.longest_request()
    return claimed.taken_at + max(room, SHORTEST_PUSH)


def release_after_failure(claimed: Claim[SyncedObject]) -> None:
    """Make the rows of a failed flush due again at once, rather than when their lease ends."""
    try:
        on_a_working_connection(lambda: release(claimed), type(claimed.rows[0]))
    except Exception:
        logger.exception("Could not release the rows of a failed flush; their lease will end")


DrainFactory = Callable[[Target, Handler, EntitySummary], Drain]
"""Makes the :class:`Drain` of one entity (a resync passes one that pushes concurrently)."""


def flush_all(
    entities: Iterable[Entity | str] | None = None, drain: DrainFactory = Drain
) -> FlushSummary:
    """Push every due row to its target, entity by entity; returns what was done.

    The change log is folded into the mirror rows first (:mod:`.folding`).
    Safe to run in several processes at once. Does nothing when
    ``OCTY["SYNC_ENABLED"]`` is false; a target that is not switched on is
    skipped (its rows wait). A target stops, with one alarm, when it refuses
    the credentials or its settings cannot make a client; the others go on.
    A flush that sent rows logs one line: at INFO when it is worth noticing
    (:meth:`FlushSummary.worth_noticing`), at DEBUG when everything went through.
    """
    summary = FlushSummary()
    if not settings.SYNC_ENABLED:
        summary.disabled = True
        return summary
    fold_changes()
    wanted = {Entity(entity) for entity in entities} if entities is not None else set(Entity)
    for target in all_targets():
        if target.enabled() and wanted.intersection(target.entities):
            flush_target(target, wanted, summary, drain)
    if summary.total("sent") or summary.stopped:
        level = logging.INFO if summary.worth_noticing() else logging.DEBUG
        logger.log(level, "Flush: %s", summary.describe())
    return summary


def flush_target(
    target: Target, wanted: set[Entity], summary: FlushSummary, drain: DrainFactory = Drain
) -> None:
    """Drain the wanted entities of one target.

    Its configuration alarm is resolved once its settings make a client, its
    refused-keys alarm once a push goes through.
    """
    target.prepare()
    pushed = False
    try:
        with target.connect() as handlers:
            resolve_alarms(target.configuration_alarm)  # the settings work again
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
        target.credentials_answered(False, str(stop))
        return
    if pushed:
        resolve_alarms(target.auth_alarm)
        target.credentials_answered(True)
