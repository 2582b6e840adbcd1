"""Pulling one entity from Octy into the mirror, page by page."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..client import OctyBadRequest, OctyClient, OctyNotFound
from ..client.client import IDS_PER_LOOKUP
from ..connection import get_client
from ..models import Entity, EventType, Item, MessageTemplate, Profile, Segment
from ..sync.recording import batches
from .insights import INSIGHT_FIELDS, profile_insights
from .merges import detect_merges
from .records import JSON, RemoteKind, Stored

logger = logging.getLogger(__name__)

PAGE_SIZE = 500

KINDS: dict[Entity, RemoteKind] = {
    Entity.EVENT_TYPE: RemoteKind(
        EventType,
        "event_type",
        "event_type_id",
        ("event_properties",),
        lambda client, ids: client.get_event_types(ids),
    ),
    Entity.PROFILE: RemoteKind(
        Profile,
        "customer_id",
        "profile_id",
        ("profile_data", "platform_info", "has_charged", "status"),
        lambda client, ids: client.get_profiles(ids),
        computed=profile_insights,
        computed_fields=INSIGHT_FIELDS,
    ),
    Entity.ITEM: RemoteKind(
        Item,
        "item_id",
        "item_id",
        ("item_category", "item_name", "item_description", "item_price", "status"),
        lambda client, ids: client.get_items(ids),
    ),
    Entity.SEGMENT: RemoteKind(
        Segment,
        "segment_name",
        "segment_id",
        (
            "segment_type",
            "segment_sub_type",
            "segment_timeframe",
            "event_sequence",
            "profile_property_name",
            "profile_property_value",
        ),
        lambda client, ids: client.get_segments(ids),
    ),
    Entity.TEMPLATE: RemoteKind(
        MessageTemplate,
        "friendly_name",
        "template_id",
        (
            "template_type",
            "title",
            "content",
            "required_data",
            "default_values",
            "metadata",
            "status",
        ),
        lambda client, ids: client.get_templates(ids),
    ),
}

PULLABLE: tuple[Entity, ...] = tuple(KINDS)
"""What can be pulled (events cannot: Octy has no endpoint that lists them)."""


@dataclass
class PullSummary:
    """What one pull did: rows created, refreshed, left alone (local change), merges found,
    and profiles Octy deleted that are queued to be created again."""

    entity: str
    fetched: int = 0
    stored: Stored = field(default_factory=Stored)
    merged: int = 0
    recreated: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pullable(entity: Entity | str) -> Entity:
    """``entity`` as an :class:`Entity` that can be pulled, or a ``ValueError`` naming it."""
    try:
        chosen = Entity(entity)
    except ValueError:
        chosen = None
    if chosen not in KINDS:
        names = ", ".join(KINDS)
        raise ValueError(f"Cannot pull {entity!r} from Octy: choose one of {names}.")
    return chosen


def pull(entity: Entity | str, ids: Sequence[int] | None = None) -> PullSummary:
    """Fetch ``entity`` from Octy into its mirror model.

    ``ids`` are mirror-row primary keys (only those rows that are in Octy
    already are fetched); ``None`` fetches everything Octy has. Pulling
    profiles also records the identity merges of profiles Octy no longer lists,
    and queues those Octy deleted to be created again.
    """
    kind = KINDS[pullable(entity)]
    summary = PullSummary(str(Entity(entity)))
    octy_ids = None if ids is None else requested_octy_ids(kind, ids)
    if octy_ids == []:
        return summary
    seen: set[str] = set()
    with get_client() as client:
        records = kind.fetch(client, None) if octy_ids is None else lookup(kind, client, octy_ids)
        for page in batches(records, PAGE_SIZE):
            summary.fetched += len(page)
            summary.stored.add(kind.store(page))
            seen.update(str(record.get(kind.remote_id)) for record in page)
        if kind.model is Profile:
            changes = detect_merges(client, unlisted_profiles(octy_ids, seen))
            summary.merged, summary.recreated = changes.merged, changes.recreated
    return summary


def lookup(kind: RemoteKind, client: OctyClient, octy_ids: list[str]) -> Iterator[JSON]:
    """The records of these ids, a lookup at a time; ids Octy does not know are left out.

    Octy answers a lookup in which it knows no id with a 400 ("No ... were found").
    """
    for chunk in batches(octy_ids, IDS_PER_LOOKUP):
        try:
            yield from kind.fetch(client, chunk)
        except (OctyBadRequest, OctyNotFound) as error:
            logger.info("Octy knows none of %d %s ids: %s", len(chunk), kind.remote_id, error)


def requested_octy_ids(kind: RemoteKind, ids: Iterable[int]) -> list[str]:
    rows = kind.model._default_manager.filter(pk__in=list(ids), octy_id__isnull=False)
    return [str(octy_id) for octy_id in rows.values_list("octy_id", flat=True)]


def unlisted_profiles(requested: list[str] | None, seen: set[str]) -> list[str]:
    """Profile ids the mirror knows but Octy did not list: maybe merged into another."""
    if requested is not None:
        return [octy_id for octy_id in requested if octy_id not in seen]
    known = Profile.objects.filter(octy_id__isnull=False, parent__isnull=True)
    return [
        str(octy_id)
        for octy_id in known.values_list("octy_id", flat=True)
        if octy_id and octy_id not in seen
    ]
