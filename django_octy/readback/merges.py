"""Identity merges: Octy folded an anonymous profile into an authenticated one.

Octy reports a merge only in the child's metadata (``merged_info``); the
child's ids stop working. The mirror keeps the child row and its history and
points it at the parent (``Profile.parent``); events still waiting to be
pushed move to the parent, whose ids work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..client import OctyClient
from ..models import OUTSTANDING_STATES, Event, Profile, SyncState

logger = logging.getLogger(__name__)


def current_profile(profile: Profile) -> Profile:
    """The profile Octy now knows ``profile`` as: itself, or the parent it was merged into."""
    seen = {profile.pk}
    while profile.parent_id is not None and profile.parent_id not in seen:
        seen.add(profile.parent_id)
        profile = Profile.objects.get(pk=profile.parent_id)
    return profile


def parent_of(meta: dict[str, Any]) -> tuple[str, str] | None:
    """``(parent profile_id, parent customer_id)`` if this metadata says the profile is a child."""
    info = meta.get("merged_info") or {}
    parent = info.get("parent_profile") or {}
    if info.get("parent_or_child") != "child" or not parent.get("parent_profile_id"):
        return None
    return str(parent["parent_profile_id"]), str(parent.get("parent_customer_id") or "")


def detect_merges(client: OctyClient, profile_ids: Sequence[str]) -> int:
    """Ask Octy about these profile ids and record the merges; returns how many were new."""
    merged = 0
    for meta in client.get_profile_metadata(profile_ids) if profile_ids else ():
        parent = parent_of(meta)
        if parent is not None:
            merged += record_merge(str(meta.get("provided_identifier")), *parent)
    return merged


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
