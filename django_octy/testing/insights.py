"""What the fake computes for a profile from the events it received: churn, RFM, segments.

This is the fake's own rule, not Octy's model. Octy trains its churn model per
account and does not publish how it scores RFM or fills segments; the fake only
needs answers that are plausible, deterministic (the same events always give the
same answers, whatever the clock says) and easy to reason about in a test.
Values a test sets with ``FakeOcty.set_profile_insights`` win over these.

The shapes follow Octy's documentation and samples: ``churn_probability`` is a
label (``"high"`` in the profile filter ``churn_prob=high`` and in the sample
template metadata ``churn_pred: high``), ``rfm_score`` a three-digit score (the
sample targets ``rfm_score_lower: 333`` to ``rfm_score_upper: 444``; Octy-ai/octy-cli,
``examples/apply_cmd_yamls/message-template-definitions.yaml``), ``segment_tags``
the names of segments. ``"medium"`` and ``"low"`` are the fake's own labels.

The rule, measured from the newest ``created_at`` of all the events the fake holds
(the fake's "now"):

- **churn_probability**, from the days since the profile's last event of any type:
  over 30 ``"high"``, over 14 ``"medium"``, otherwise ``"low"``.
- **rfm_score** = 100 R + 10 F + M, each from 1 to 5, over the profile's ``charged``
  events: R from the days since the last one (7, 14, 30, 60 days or less give 5, 4,
  3, 2; older 1), F from their number (10, 6, 3, 2 or more give 5, 4, 3, 2; one 1),
  M from the sum of the charged items' ``item_price`` in minor units (50000, 20000,
  10000, 5000 or more give 5, 4, 3, 2; less 1; an item the fake does not hold
  counts 0).
- **segment_tags**: the declared segments whose every step holds over the last
  ``segment_timeframe`` days (0: all events): an ``action`` step needs an event of
  its type carrying its ``event_properties``, an ``inaction`` step needs none.
  Step order and ``exp_timeframe`` are not checked.

A profile without events has none of the three (``None``, ``None``, ``[]``); one
without a ``charged`` event has no RFM score.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from .state import CHARGED, TIMESTAMP_FORMAT, OctyState

INSIGHT_FIELDS = ("churn_probability", "rfm_score", "segment_tags")
CHURN_DAYS = ((30, "high"), (14, "medium"))
RECENCY_DAYS = (7, 14, 30, 60)
FREQUENCY_COUNTS = (10, 6, 3, 2)
MONETARY_MINOR_UNITS = (50_000, 20_000, 10_000, 5_000)


def moment(timestamp: str) -> datetime:
    return datetime.strptime(timestamp, TIMESTAMP_FORMAT)


def with_insights(state: OctyState, profile: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``profile`` with what Octy would compute: set by a test, else derived."""
    chosen = state.set_insights.get(profile["profile_id"], {})
    derived = {} if len(chosen) == len(INSIGHT_FIELDS) else derive(state, profile["profile_id"])
    return {**profile, **derived, **chosen}


def derive(state: OctyState, profile_id: str) -> dict[str, Any]:
    """The fake's churn probability, RFM score and segment tags for one profile."""
    events = state.events_by_profile.get(profile_id, [])
    if not events:
        return {"churn_probability": None, "rfm_score": None, "segment_tags": []}
    now = moment(state.latest_event_at)
    return {
        "churn_probability": churn_probability(now, events),
        "rfm_score": rfm_score(state, now, [e for e in events if e["event_type"] == CHARGED]),
        "segment_tags": segment_tags(state, now, events),
    }


def days_since(now: datetime, events: Sequence[dict[str, Any]]) -> float:
    last = max(event["created_at"] for event in events)
    return (now - moment(last)) / timedelta(days=1)


def churn_probability(now: datetime, events: Sequence[dict[str, Any]]) -> str:
    idle = days_since(now, events)
    return next((label for days, label in CHURN_DAYS if idle > days), "low")


def rank(value: float, thresholds: Sequence[float], *, at_most: bool = False) -> int:
    """5 for the first threshold ``value`` reaches (or stays within), down to 1 for none."""
    for position, threshold in enumerate(thresholds):
        if (value <= threshold) if at_most else (value >= threshold):
            return 5 - position
    return 1


def rfm_score(state: OctyState, now: datetime, charged: Sequence[dict[str, Any]]) -> int | None:
    if not charged:
        return None
    spent = sum(
        int(state.items.get(str(e["event_properties"].get("item_id")), {}).get("item_price", 0))
        for e in charged
    )
    recency = rank(days_since(now, charged), RECENCY_DAYS, at_most=True)
    return (
        100 * recency
        + 10 * rank(len(charged), FREQUENCY_COUNTS)
        + rank(spent, MONETARY_MINOR_UNITS)
    )


def segment_tags(state: OctyState, now: datetime, events: Sequence[dict[str, Any]]) -> list[str]:
    return sorted(
        name
        for name, segment in state.segments.items()
        if all(
            step_holds(step, in_window(now, segment, events)) for step in segment["event_sequence"]
        )
    )


def in_window(
    now: datetime, segment: dict[str, Any], events: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    days = int(segment.get("segment_timeframe") or 0)
    if not days:
        return list(events)
    start = (now - timedelta(days=days)).strftime(TIMESTAMP_FORMAT)
    return [event for event in events if event["created_at"] >= start]


def step_holds(step: dict[str, Any], events: Sequence[dict[str, Any]]) -> bool:
    wanted = {k: str(v) for k, v in (step.get("event_properties") or {}).items()}
    happened = any(
        event["event_type"] == step["event_type"]
        and all(str(event["event_properties"].get(k)) == v for k, v in wanted.items())
        for event in events
    )
    return happened if step["action_inaction"] == "action" else not happened
