"""Applying a push's outcomes to the claimed rows, in one transaction guarded by the lease.

Only rows still leased under the claim's token are settled: if the lease ran
out and another flusher took a row over, that flusher's result counts, and
the row is made due again, since the late push may have overwritten a newer
one. A row is marked synced (or failed) only for the version that was sent; a
row edited while its push was in flight stays pending with its new version.

A write-back whose database connection fails is tried again on a new
connection (:func:`on_a_working_connection`) before the results are given up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connections, router, transaction
from django.utils import timezone

from ..conf import settings
from ..erasure import confirm_deletes
from ..models import BOOKKEEPING_FIELDS, Operation, PushLog, SyncedObject, SyncError, SyncState
from .backoff import retry_delay
from .claim import Claim, skips_locked_rows
from .handlers import Handler
from .outcomes import Outcome, Rejected, Released, Retry, Synced
from .pending import pushed_again
from .rows import write_rows
from .scheduling import request_flush

logger = logging.getLogger(__name__)

T = TypeVar("T")

WRITE_BACK_WAITS = (0.5, 1.0, 2.0, 4.0)
"""Seconds before each new try of a write-back whose database connection failed."""

WRITTEN = sorted(
    BOOKKEEPING_FIELDS - {"version", "deletion_requested", "created_at", "source_type", "source_id"}
)
"""The bookkeeping a push settles; the rest only a local change sets."""


@dataclass
class Applied:
    rows: int = 0
    dead_letters: int = 0
    lost_leases: int = 0


class Settler:
    """Turns one outcome into the row's new bookkeeping (and maybe an error row)."""

    def __init__(self, handler: Handler, now: datetime) -> None:
        self.handler = handler
        self.now = now
        self.errors: list[SyncError] = []
        self.dead_letters = 0
        self.retry_at: dict[Retry, datetime] = {}

    def settle(
        self, row: SyncedObject, outcome: Outcome, operation: Operation, edited: bool
    ) -> None:
        if isinstance(outcome, Synced):
            self.synced(row, outcome, edited)
        elif isinstance(outcome, Rejected):
            self.rejected(row, outcome, edited)
        elif isinstance(outcome, Retry):
            self.retry(row, outcome, operation, edited)
        row.leased_until = None
        row.lease_token = None
        row.updated_at = self.now

    def synced(self, row: SyncedObject, outcome: Synced, edited: bool) -> None:
        row.octy_id = outcome.octy_id
        row.create_sent = row.create_sent and not outcome.deleted
        row.remote = outcome.remote
        row.synced_version = row.version
        row.last_synced_at = self.now
        row.next_attempt_at = None
        row.last_error = ""
        if not edited:
            row.state = SyncState.DELETED if outcome.deleted else SyncState.SYNCED
            row.attempts = 0

    def rejected(self, row: SyncedObject, outcome: Rejected, edited: bool) -> None:
        row.last_error = outcome.message
        row.next_attempt_at = None
        if not edited:
            row.state = SyncState.FAILED
            row.attempts += 1
        self.log_error(row, outcome.operation, outcome)

    def retry(self, row: SyncedObject, outcome: Retry, operation: Operation, edited: bool) -> None:
        row.last_error = outcome.message
        # Rows that failed together come back together: one batch again, not many.
        if outcome not in self.retry_at:
            delay = retry_delay(row.attempts + 1, outcome.retry_after)
            self.retry_at[outcome] = self.now + timedelta(seconds=delay)
        row.next_attempt_at = self.retry_at[outcome]
        if edited:
            return
        row.attempts += 1
        if row.attempts >= settings.MAX_ATTEMPTS:
            row.state = SyncState.FAILED
            row.next_attempt_at = None
            self.dead_letters += 1
            message = f"Gave up after {row.attempts} attempts: {outcome.message}"
            row.last_error = message
            self.log_error(row, operation, Rejected(operation, message, outcome.http_status))

    def log_error(self, row: SyncedObject, operation: Operation, outcome: Rejected) -> None:
        self.errors.append(
            SyncError(
                entity=self.handler.entity,
                row_id=row.pk,
                identifier=self.handler.identifier(row)[:255],
                operation=operation,
                http_status=outcome.http_status,
                reason=outcome.message,
                messages=list(outcome.messages) or [outcome.message],
                extended_help=outcome.extended_help[:500],
                attempt=row.attempts,
            )
        )


def apply(
    handler: Handler,
    claim: Claim[SyncedObject],
    outcomes: Mapping[int, Outcome],
    operations: Mapping[int, Operation],
    push_logs: Sequence[PushLog],
) -> Applied:
    """Write the outcomes of ``claim``'s rows and release its lease.

    A row lock is never awaited while others are held: a host transaction
    that is changing several of these rows would deadlock with this one, and
    the database may pick the host's as the victim. Where rows can be skipped,
    the rows nobody holds are settled together, then each held one alone.
    """
    settler = Settler(handler, timezone.now())
    sent = {row.pk: row for row in claim.rows}
    model = handler.model
    skip_locked = skips_locked_rows(model)
    settled = settle_locked(settler, claim, sent, outcomes, operations, sent, skip_locked)
    PushLog.objects.bulk_create(push_logs)
    held = sent.keys() - settled if skip_locked else set()
    for pk in held:  # a host transaction has it: wait for that one row alone
        settled |= settle_locked(settler, claim, sent, outcomes, operations, [pk], False)
    lost = sent.keys() - settled
    # What was sent may have landed after a newer push: the row is pushed again
    # (one row at a time, for the same reason).
    again = [pk for pk in lost if isinstance(outcomes.get(pk), Synced | Retry)]
    if sum(model._default_manager.filter(pk=pk).update(**pushed_again()) for pk in again):
        request_flush()
    return Applied(len(settled), settler.dead_letters, len(lost))


def on_a_working_connection(work: Callable[[], T], model: type[SyncedObject]) -> T:
    """``work()``, run again on a new connection if the database connection fails.

    A few tries over a few seconds (:data:`WRITE_BACK_WAITS`). Inside a
    transaction the caller opened, a connection cannot be replaced: the error
    is raised at once.
    """
    connection = connections[router.db_for_write(model)]
    for wait in WRITE_BACK_WAITS:
        try:
            return work()
        except (OperationalError, InterfaceError) as error:
            if connection.in_atomic_block:
                raise
            logger.warning(
                "Writing back a push's results failed (%s); trying again in %gs on a new "
                "database connection",
                type(error).__name__,
                wait,
            )
            connection.close()
            time.sleep(wait)
    return work()


def settle_locked(
    settler: Settler,
    claim: Claim[SyncedObject],
    sent: Mapping[int, SyncedObject],
    outcomes: Mapping[int, Outcome],
    operations: Mapping[int, Operation],
    pks: Iterable[int],
    skip_locked: bool,
) -> set[int]:
    """Settle the rows of ``pks`` still leased under ``claim``; returns those settled."""
    manager = settler.handler.model._default_manager
    errors_before = len(settler.errors)
    with transaction.atomic():
        still_ours = manager.select_for_update(skip_locked=skip_locked).filter(
            pk__in=list(pks), lease_token=claim.token
        )
        rows = []
        for pk, version, state, attempts in still_ours.values_list(
            "pk", "version", "state", "attempts"
        ):
            row = sent[pk]
            edited = version != row.version
            row.state, row.attempts = state, attempts
            settler.settle(row, outcomes.get(pk, Released()), operations[pk], edited)
            rows.append(row)
        write_rows(rows, WRITTEN)
        SyncError.objects.bulk_create(settler.errors[errors_before:])
        deleted = [row.pk for row in rows if row.state == SyncState.DELETED]
        confirm_deletes(settler.handler.entity, deleted)
    return {row.pk for row in rows}
