"""Segments: one created per request, listed with their profile counts, never updated."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..batch import deletes, identifier
from ..call import ApiCall, Route, apply_single, not_updatable
from ..insights import with_insights
from ..listing import Listing, list_reply
from ..records import find_by, require
from ..responses import ApiError, Reply, success
from ..state import OctyState, new_id, now
from ..validation import (
    IDENTIFIER,
    INTEGER,
    OBJECT,
    OBJECTS,
    TEXT,
    ObjectRejected,
    Schema,
    one_of,
)
from .events import check_properties

BASE = "/v1/retention/segments"
LISTING = Listing("segments", "segment", "segments", "segments")

SEGMENT = Schema(
    "segment",
    required={
        "segment_name": IDENTIFIER,
        "segment_type": one_of("live", "past"),
        "segment_sub_type": INTEGER,
        "segment_timeframe": INTEGER,
        "event_sequence": OBJECTS,
    },
    optional={"profile_property_name": TEXT, "profile_property_value": TEXT},
)
STEP = Schema(
    "event_sequence step",
    required={
        "event_type": IDENTIFIER,
        "exp_timeframe": INTEGER,
        "action_inaction": one_of("action", "inaction"),
    },
    optional={"event_properties": OBJECT},
)
CREATED_FIELDS = ("segment_id", "segment_name", "segment_type", "segment_sub_type")


def _create(state: OctyState, body: dict[str, Any]) -> dict[str, Any]:
    SEGMENT.check(body)
    for position, step in enumerate(body["event_sequence"]):
        try:
            STEP.check(step)
            check_properties(state, step["event_type"], step.get("event_properties") or {})
        except ObjectRejected as error:
            raise ObjectRejected(f"event_sequence[{position}]: {error}") from None
    if body["segment_name"] in state.segments:
        raise ObjectRejected(f"A segment named '{body['segment_name']}' already exists")
    segment = {
        "segment_id": new_id("segment"),
        **body,
        "segment_status": "active",
        "created_at": now(),
    }
    state.segments[segment["segment_name"]] = segment
    return segment


def create(call: ApiCall) -> Reply:
    if "segments" in call.object_body():
        raise ApiError(
            400, "Invalid segment", "Segments are created one per request.", topic="segments"
        )
    segment = apply_single(
        call, lambda o: _create(call.state, o), ("segment_name",), "Invalid segment", "segments"
    )
    shown = {k: segment[k] for k in CREATED_FIELDS}
    return success("Segment created", 201, **shown, segment_status="active")


def _delete_one(state: OctyState, obj: Any) -> dict[str, Any]:
    segment_id = identifier(obj, "segment_id")
    found = find_by(state.segments, "segment_id", segment_id)
    segment = require(found, "segment", "segment_id", segment_id)
    del state.segments[segment["segment_name"]]
    return {"segment_id": segment_id}


def read(call: ApiCall) -> Reply:
    state = call.state
    tagged = Counter(
        tag
        for profile in state.profiles.values()
        for tag in with_insights(state, profile)["segment_tags"]
    )
    by_id = {
        s["segment_id"]: {**s, "profile_count": tagged[s["segment_name"]]}
        for s in state.segments.values()
    }
    return list_reply(call, LISTING, by_id.values(), by_id.get)


ROUTES = [
    Route("POST", f"{BASE}/create", create),
    deletes("segments", _delete_one, "segment_id", "deleted_segments", "Segments").route(
        f"{BASE}/delete"
    ),
    Route("POST", f"{BASE}/update", not_updatable("segment", "segments")),
    Route("GET", BASE, read),
]
