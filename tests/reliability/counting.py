"""What reached the fake Octy against what the host recorded: objects duplicated and lost.

Octy gives events no idempotency key and keeps no id of ours on them, so an
event is told apart by its content: its profile, type, properties and time (to
the second, as Octy keeps it). Profiles and items have a key (customer_id,
item_id) and Octy refuses a second create of one, so they are counted by key:
a key held that the host has no row for is a duplicate, one missing is lost.
Shared by the reliability scenarios and the benchmarks.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from django_octy.client.transport import TIMESTAMP_FORMAT
from django_octy.models import Event
from django_octy.testing import FakeOcty

EventContent = tuple[str, str, str, str]
"""An event's profile_id, event_type, properties (as sorted JSON) and created_at."""


@dataclass(frozen=True)
class Tally:
    """How many objects arrived more often than recorded, and how many never arrived."""

    duplicated: int
    lost: int


def tally(received: Iterable[Hashable], recorded: Iterable[Hashable]) -> Tally:
    """Compare two multisets: what the fake received and what the host recorded.

    A mapping counts each of its keys once (``Counter`` would take its values as counts).
    """
    arrived, expected = Counter(iter(received)), Counter(iter(recorded))
    return Tally(sum((arrived - expected).values()), sum((expected - arrived).values()))


def event_content(
    profile_id: str, event_type: str, properties: Mapping[str, Any], created_at: str
) -> EventContent:
    return (profile_id, event_type, json.dumps(properties, sort_keys=True), created_at)


def received_events(octy: FakeOcty) -> dict[str, EventContent]:
    """Each event the fake holds, by the Octy id it gave it."""
    return {
        event["event_id"]: event_content(
            event["profile_id"], event["event_type"], event["event_properties"], event["created_at"]
        )
        for event in octy.events
    }


def recorded_events(rows: QuerySet[Event]) -> dict[int, EventContent]:
    """Each event row's content as Octy holds it once pushed, by the row's primary key."""
    fields = ("pk", "profile__octy_id", "event_type", "event_properties", "occurred_at")
    return {
        pk: event_content(profile_id or "", kind, properties, octy_timestamp(occurred_at))
        for pk, profile_id, kind, properties, occurred_at in rows.values_list(*fields)
    }


def octy_timestamp(moment: datetime) -> str:
    """The ``created_at`` Octy keeps for an event that occurred at ``moment``."""
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


@dataclass(frozen=True)
class Differences:
    """Per kind of object, what the fake holds beyond and short of the host's rows."""

    events: Tally
    profiles: Tally
    items: Tally

    def summary(self) -> str:
        lost = self.events.lost + self.profiles.lost + self.items.lost
        return (
            f"duplicated: {self.events.duplicated} events, {self.profiles.duplicated} profiles, "
            f"{self.items.duplicated} items; lost: {lost}"
        )


def differences(
    octy: FakeOcty,
    events: QuerySet[Event],
    customer_ids: Iterable[str],
    item_ids: Iterable[str] = (),
) -> Differences:
    """What the fake holds against the host's ``events`` rows, customers and items."""
    return Differences(
        events=tally(received_events(octy).values(), recorded_events(events).values()),
        profiles=tally(octy.profiles, customer_ids),
        items=tally(octy.items, item_ids),
    )
