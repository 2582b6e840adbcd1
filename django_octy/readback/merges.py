"""Identity merges: Octy folded an anonymous profile into an authenticated one.

Octy reports a merge only in the child's metadata (``merged_info``); the
child's ids stop working. The mirror keeps the child row and its history and
points it at the parent (``Profile.parent``); events still waiting to be
pushed move to the parent, whose ids work.

A profile Octy no longer has that was not merged was deleted there: its row is
queued to be created again, as Octy's own Shopify integration does
(``Octy-ai/octy-shopify``, ``internal/application/api/customer_api.go``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..client import OctyClient
from ..models import OUTSTANDING_STATES, Event, Profile, SyncState
from ..sync.pending import changed
from ..sync.scheduling import request_flush

logger = logging.getLogger(__name__)


def current_profile(profile: Profile) -> Profile:
    """The profile Octy now knows ``profile`` as: itself, or the parent it was merged into."""
    seen = {profile.pk}
    while profile.parent_id is not None and profile.parent_id not in seen:
        seen.add(profile.parent_id)
        profile = Profile.objects.get(pk=profile.parent_id)
    return profile


CHILD_LABELS = frozenset({"child_profile", "child"})
"""How ``merged_info.parent_or_child`` names a merged-away profile: Octy's label
(``octy-shopify``), and the shorter one earlier versions of this project expected."""


@dataclass
class IdentityChanges:
    """What the metadata of profiles Octy did not list revealed."""

    merged: int = 0
    recreated: int = 0


def parent_of(meta: dict[str, Any]) -> tuple[str, str] | None:
    """``(parent profile_id, parent customer_id)`` if this metadata says the profile is a child."""
    info = meta.get("merged_info") or {}
    parent = info.get("parent_profile") or {}
    if info.get("parent_or_child") not in CHILD_LABELS or not parent.get("parent_profile_id"):
        return None
    return str(parent["parent_profile_id"]), str(parent.get("parent_customer_id") or "")


def was_deleted(meta: dict[str, Any]) -> bool:
    """Whether this metadata says the profile is gone without having been merged."""
    exists = (meta.get("profile") or {}).get("profile_exists")
    return exists is False and not (meta.get("merged_info") or {}).get("was_merged")


def detect_merges(client: OctyClient, profile_ids: Sequence[str]) -> IdentityChanges:
    """Ask Octy about these profile ids; record merges and queue deleted profiles again."""
    changes = IdentityChanges()
    for meta in client.get_profile_metadata(profile_ids) if profile_ids else ():
        provided = str(meta.get("provided_identifier"))
        parent = parent_of(meta)
        if parent is not None:
            changes.merged += record_merge(provided, *parent)
        elif was_deleted(meta):
            changes.recreated += recreate(provided)
    return changes


def recreate(profile_id: str) -> bool:
    """Queue the profile Octy deleted to be created again (unless it is being removed here).

    A row a flusher holds is left for the next pull: its push settles it first.
    """
    rows = Profile.objects.filter(
        octy_id=profile_id, deletion_requested=False, lease_token__isnull=True
    )
    if not rows.update(octy_id=None, next_attempt_at=None, **changed()):
        return False
    logger.info("Octy no longer has profile %s: it is queued to be created again.", profile_id)
    request_flush()
    return True


def parent_row(profile_id: str, customer_id: str) -> Profile:
    """The parent's mirror row, made (as synced) when the parent was never mirrored."""
    row = Profile.objects.filter(octy_id=profile_id).first()
    if row is None and customer_id:
        row = Profile.objects.filter(customer_id=customer_id).first()
    if row is None:
        row = Profile(customer_id=customer_id or profile_id, octy_id=profile_id)
        row.state, row.synced_version = SyncState.SYNCED, 1
        Profile.objects.bulk_create([row])  # not save(): nothing to push
    return row


@transaction.atomic
def record_merge(child_profile_id: str, parent_profile_id: str, parent_customer_id: str) -> bool:
    """Point the child's mirror row (and its waiting events) at the parent."""
    child = Profile.objects.select_for_update().filter(octy_id=child_profile_id).first()
    if child is None:
        return False
    parent = parent_row(parent_profile_id, parent_customer_id)
    if child.parent_id == parent.pk or child.pk == parent.pk:
        return False
    # The child cannot be written to in Octy any more: nothing of it is left to push.
    Profile.objects.filter(pk=child.pk).update(
        parent=parent,
        state=SyncState.SYNCED,
        synced_version=F("version"),
        next_attempt_at=None,
        updated_at=timezone.now(),
    )
    Profile.objects.filter(parent=child).update(parent=parent)
    moved = Event.objects.filter(profile=child, state__in=OUTSTANDING_STATES).update(profile=parent)
    logger.info(
        "Octy merged profile %s into %s; %d waiting events moved to the parent.",
        child.customer_id,
        parent.customer_id,
        moved,
    )
    return True
