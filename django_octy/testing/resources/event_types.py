"""Event types: declared names and properties. They can be created and deleted, not updated."""

from __future__ import annotations

from typing import Any

from ..batch import creates, deletes, identifier
from ..call import ApiCall, Route, not_updatable
from ..listing import Listing, list_reply
from ..records import find_by, require
from ..responses import Reply
from ..state import CHARGED, OctyState, new_id, now
from ..validation import IDENTIFIER, STRINGS, ObjectRejected, Schema

BASE = "/v1/retention/events/types"
LISTING = Listing("event_types", "event type", "event types", "event-types")
CREATE = Schema("event type", required={"event_type": IDENTIFIER, "event_properties": STRINGS})


def _create_one(state: OctyState, obj: Any) -> dict[str, Any]:
    CREATE.check(obj)
    if obj["event_type"] in state.event_types:
        raise ObjectRejected(f"Event type '{obj['event_type']}' already exists")
    event_type = {
        "event_type_id": new_id("event_type"),
        "event_type": obj["event_type"],
        "event_properties": list(obj["event_properties"]),
        "created_at": now(),
    }
    state.event_types[event_type["event_type"]] = event_type
    return dict(event_type)


def _delete_one(state: OctyState, obj: Any) -> dict[str, Any]:
    event_type_id = identifier(obj, "event_type_id")
    found = find_by(state.event_types, "event_type_id", event_type_id)
    event_type = require(found, "event type", "event_type_id", event_type_id)
    if event_type["event_type"] == CHARGED:
        raise ObjectRejected(f"The built-in event type '{CHARGED}' cannot be deleted")
    del state.event_types[event_type["event_type"]]
    return {"event_type_id": event_type_id}


def read(call: ApiCall) -> Reply:
    state = call.state
    return list_reply(
        call,
        LISTING,
        state.event_types.values(),
        lambda event_type_id: find_by(state.event_types, "event_type_id", event_type_id),
    )


ROUTES = [
    creates("event_types", _create_one, "event_type", "Event types").route(f"{BASE}/create"),
    deletes(
        "event_type_ids", _delete_one, "event_type_id", "deleted_event_types", "Event types"
    ).route(f"{BASE}/delete"),
    Route("POST", f"{BASE}/update", not_updatable("event type", "event-types")),
    Route("GET", BASE, read),
]
