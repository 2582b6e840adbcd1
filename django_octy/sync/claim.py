r"""Claiming due rows under a lease, so that several flushers never push one row twice.

A claim is a short transaction that stamps up to ``limit`` due rows with a
lease (``leased_until``, ``lease_token``). Where the database can skip locked
rows (PostgreSQL, MySQL 8, Oracle), concurrent claims take disjoint rows;
elsewhere (SQLite) the claim is a single ``UPDATE ... WHERE id IN (SELECT
...)`` statement, atomic on its own. A flusher that dies leaves its lease to
expire, after which the rows are due again; one whose flush fails
:func:`release`\ s its rows at once.

Leases are stamped and compared with the database's clock, never a worker's:
workers whose clocks disagree still agree on when a lease ends. A claim also
marks the rows it takes for a create (``create_sent``): from then on the
object may exist in the target even if its id never comes back.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from django.db import connections, models, router, transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Q, QuerySet, Value, When
from django.db.models.functions import Now

from ..conf import settings
from ..models import SyncedObject, SyncState
from .pending import due

M = TypeVar("M", bound=SyncedObject)


@dataclass(frozen=True)
class Claim(Generic[M]):
    """Rows leased under ``token``; the lease began before ``taken_at`` (``time.monotonic()``)."""

    token: uuid.UUID
    rows: list[M]
    taken_at: float


def skips_locked_rows(model: type[models.Model]) -> bool:
    alias = router.db_for_write(model)
    return bool(connections[alias].features.has_select_for_update_skip_locked)


def claim(
    model: type[M],
    limit: int,
    after_pk: int = 0,
    select_related: tuple[str, ...] = (),
    scope: Q | None = None,
) -> Claim[M] | None:
    """Lease up to ``limit`` due rows (within ``scope``) with a primary key above ``after_pk``,
    in id order."""
    candidates = due(model).filter(scope or Q(), pk__gt=after_pk)
    token, claimed, taken_at = lease(model, candidates, limit)
    if not claimed:
        return None
    rows = model._default_manager.filter(lease_token=token)
    rows = rows.select_related(*select_related).order_by("pk")
    return Claim(token, list(rows), taken_at)


def lease(model: type[M], candidates: QuerySet[M], limit: int) -> tuple[uuid.UUID, int, float]:
    """Stamp up to ``limit`` of ``candidates`` (due rows) with a new lease, in one short
    transaction; returns its token, how many rows it took and when it began
    (``time.monotonic()``)."""
    token = uuid.uuid4()
    lease_end = Now() + timedelta(seconds=settings.LEASE_SECONDS)
    stamp = {
        "leased_until": ExpressionWrapper(lease_end, output_field=DateTimeField()),
        "lease_token": token,
        "create_sent": Case(
            When(octy_id__isnull=True, state=SyncState.PENDING, then=Value(True)),
            default=F("create_sent"),
        ),
    }
    manager = model._default_manager
    alias = router.db_for_write(model)
    taken_at = time.monotonic()
    with transaction.atomic(using=alias):
        if skips_locked_rows(model):
            locked = candidates.select_for_update(skip_locked=True, of=("self",))
            pks = list(locked.values_list("pk", flat=True)[:limit])
            claimed = manager.filter(pk__in=pks).update(**stamp) if pks else 0
        else:
            claimed = manager.filter(pk__in=candidates.values("pk")[:limit]).update(**stamp)
    return token, claimed, taken_at


def release(claim: Claim[M]) -> int:
    """End the lease of ``claim``'s rows still under it (they are due again); returns how many."""
    manager = type(claim.rows[0])._default_manager
    return manager.filter(lease_token=claim.token).update(leased_until=None, lease_token=None)
