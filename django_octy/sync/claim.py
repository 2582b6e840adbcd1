"""Claiming due rows under a lease, so that several flushers never push one row twice.

A claim is a short transaction that stamps up to ``limit`` due rows with a
lease (``leased_until``, ``lease_token``). Where the database can skip locked
rows (PostgreSQL, MySQL 8, Oracle), concurrent claims take disjoint rows;
elsewhere (SQLite) the claim is a single ``UPDATE ... WHERE id IN (SELECT
...)`` statement, atomic on its own. A flusher that dies leaves its lease to
expire, after which the rows are due again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from ..conf import settings
from ..models import SyncedObject
from .pending import due

M = TypeVar("M", bound=SyncedObject)


@dataclass(frozen=True)
class Claim(Generic[M]):
    token: uuid.UUID
    rows: list[M]


def skips_locked_rows(model: type[SyncedObject]) -> bool:
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
    now = timezone.now()
    token = uuid.uuid4()
    lease = {"leased_until": now + timedelta(seconds=settings.LEASE_SECONDS), "lease_token": token}
    candidates = due(model, now).filter(scope or Q(), pk__gt=after_pk)
    manager = model._default_manager
    alias = router.db_for_write(model)
    with transaction.atomic(using=alias):
        if skips_locked_rows(model):
            locked = candidates.select_for_update(skip_locked=True, of=("self",))
            pks = list(locked.values_list("pk", flat=True)[:limit])
            claimed = manager.filter(pk__in=pks).update(**lease) if pks else 0
        else:
            claimed = manager.filter(pk__in=candidates.values("pk")[:limit]).update(**lease)
    if not claimed:
        return None
    rows = manager.filter(lease_token=token).select_related(*select_related).order_by("pk")
    return Claim(token, list(rows))
