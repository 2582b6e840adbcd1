"""Events: one at a time or in batches; each needs a live profile and a declared event type."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..batch import BatchWrite
from ..call import ApiCall, Route, apply_single
from ..responses import Reply, success
from ..state import CHARGED, TIMESTAMP_FORMAT, OctyState, new_id, now
from ..validation import IDENTIFIER, OBJECT, SCALAR_TYPES, TEXT, ObjectRejected, Schema
from .profiles import active_profile

BASE = "/v1/retention/events"
EVENT = Schema(
    "event",
    required={"event_type": IDENTIFIER, "profile_id": IDENTIFIER},
    optional={"event_properties": OBJECT, "created_at": TEXT},
)
FAILURE_KEYS = ("event_type", "event_properties", "profile_id")


def check_properties(state: OctyState, event_type: str, properties: dict[str, Any]) -> str:
    """Return the event type's id once ``properties`` fit its declaration."""
    declared = state.event_types.get(event_type)
    if declared is None:
        raise ObjectRejected(f"Unknown event type '{event_type}'")
    undeclared = sorted(set(properties) - set(declared["event_properties"]))
    if undeclared:
        raise ObjectRejected(
            f"Event properties not declared by event type '{event_type}': {', '.join(undeclared)}"
        )
    for name, value in properties.items():
        if not isinstance(value, SCALAR_TYPES):
            raise ObjectRejected(f"Event property '{name}' must be a string, number or boolean")
    return str(declared["event_type_id"])


def _check_created_at(value: str | None) -> str:
    if value is None:
        return now()
    try:
        datetime.strptime(value, TIMESTAMP_FORMAT)
    except ValueError:
        raise ObjectRejected(
            f"Event field 'created_at' must look like YYYY-MM-DD HH:MM:SS, got {value!r}"
        ) from None
    return value


def record_event(state: OctyState, obj: Any) -> dict[str, Any]:
    EVENT.check(obj)
    properties = obj.get("event_properties") or {}
    event_type_id = check_properties(state, obj["event_type"], properties)
    created_at = _check_created_at(obj.get("created_at"))
    profile = active_profile(state, obj["profile_id"])
    event = {
        "event_id": new_id("event"),
        "profile_id": profile["profile_id"],
        "event_type_id": event_type_id,
        "event_type": obj["event_type"],
        "event_properties": properties,
        "created_at": created_at,
    }
    state.add_event(event)
    if event["event_type"] == CHARGED:
        profile["has_charged"] = True
        item_id = properties.get("item_id")
        if isinstance(item_id, str):
            state.charged_items.setdefault(profile["profile_id"], set()).add(item_id)
    return event


def create_one(call: ApiCall) -> Reply:
    event = apply_single(
        call, lambda o: record_event(call.state, o), FAILURE_KEYS, "Invalid event", "events"
    )
    shown = {k: event[k] for k in ("event_id", "event_type", "event_properties", "profile_id")}
    return success("Event created", 201, **shown, created_at=event["created_at"])


ROUTES = [
    Route("POST", f"{BASE}/create", create_one),
    BatchWrite(
        "events",
        record_event,
        FAILURE_KEYS,
        "created_events",
        "failed_to_create",
        "Events created",
        201,
    ).route(f"{BASE}/create/batch"),
]
