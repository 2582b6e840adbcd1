"""Profiles: create/update/delete in batches, lists with computed fields and filters, metadata.

``profile_data`` and ``platform_info`` each need at least one key/value pair, as
Octy's API reference asks (https://api-docs.octy.ai/, profiles): a create without
them, or a write that sends one empty, fails that profile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..batch import creates, deletes, identifier, updates
from ..call import ApiCall, Route
from ..insights import with_insights
from ..listing import Listing, list_reply
from ..records import change, require
from ..responses import ApiError, Reply
from ..state import OctyState, new_id, now
from ..validation import BOOLEAN, FILLED_OBJECT, IDENTIFIER, TEXT, ObjectRejected, Schema

BASE = "/v1/retention/profiles"
LISTING = Listing("profiles", "customer", "customer profiles", "profiles")

CREATE = Schema(
    "profile",
    required={
        "customer_id": IDENTIFIER,
        "profile_data": FILLED_OBJECT,
        "platform_info": FILLED_OBJECT,
    },
    optional={"has_charged": BOOLEAN},
)
UPDATE = Schema(
    "profile",
    required={"profile_id": IDENTIFIER},
    optional={
        "customer_id": IDENTIFIER,
        "has_charged": BOOLEAN,
        "profile_data": FILLED_OBJECT,
        "platform_info": FILLED_OBJECT,
        "status": TEXT,
    },
)
WRITTEN_FIELDS = ("profile_id", "customer_id", "profile_data", "platform_info", "has_charged")


def active_profile(state: OctyState, profile_id: str) -> dict[str, Any]:
    """The profile an update or event names, or the reason it cannot be used."""
    profile = state.profile_by_id(profile_id)
    if profile is not None:
        return profile
    child = state.merged_child(profile_id)
    if child is not None:
        raise ObjectRejected(
            f"Profile '{profile_id}' was merged into profile '{child['parent_profile_id']}'"
        )
    return require(None, "profile", "profile_id", profile_id)


def _check_customer_id_free(state: OctyState, customer_id: str) -> None:
    if customer_id in state.profiles or customer_id in state.merged_profiles:
        raise ObjectRejected(f"A profile with customer_id '{customer_id}' already exists")


def _create_one(state: OctyState, obj: Any) -> dict[str, Any]:
    CREATE.check(obj)
    _check_customer_id_free(state, obj["customer_id"])
    created_at = now()
    profile = {
        "profile_id": new_id("profile"),
        "customer_id": obj["customer_id"],
        "profile_data": obj["profile_data"],
        "platform_info": obj["platform_info"],
        "has_charged": bool(obj.get("has_charged", False)),
        "status": "active",
        "created_at": created_at,
        "updated_at": created_at,
    }
    state.add_profile(profile)
    return {**{k: profile[k] for k in WRITTEN_FIELDS}, "status": "active", "created_at": created_at}


def _update_one(state: OctyState, obj: Any) -> dict[str, Any]:
    UPDATE.check(obj)
    profile = active_profile(state, obj["profile_id"])
    new_customer_id = obj.get("customer_id") or profile["customer_id"]
    if new_customer_id != profile["customer_id"]:
        _check_customer_id_free(state, new_customer_id)
    state.remove_profile(profile)
    state.add_profile(change(profile, obj))
    return {
        **{k: profile[k] for k in WRITTEN_FIELDS},
        "status": profile["status"],
        "last_updated": profile["updated_at"],
    }


def _delete_one(state: OctyState, obj: Any) -> dict[str, Any]:
    profile = active_profile(state, identifier(obj, "profile_id"))
    state.remove_profile(profile)
    return {"profile_id": profile["profile_id"]}


def _rfm_range(raw: str) -> tuple[int, int]:
    low, _, high = raw.partition("-")
    if not low.strip().isdigit() or not (high or low).strip().isdigit():
        raise ApiError(
            400, "Invalid filter", f"rfm must be a score or a range like 300-400, got {raw!r}."
        )
    return int(low), int(high or low)


def _profile_filter(call: ApiCall) -> Callable[[dict[str, Any]], bool] | None:
    churn = call.query.get("churn_prob")
    rfm = _rfm_range(call.query["rfm"]) if "rfm" in call.query else None
    if churn is None and rfm is None:
        return None

    def keep(profile: dict[str, Any]) -> bool:
        if churn is not None and profile["churn_probability"] != churn:
            return False
        score = profile["rfm_score"]
        return rfm is None or (score is not None and rfm[0] <= score <= rfm[1])

    return keep


def read(call: ApiCall) -> Reply:
    """Profiles with what Octy computes for them (see :mod:`django_octy.testing.insights`).

    A lookup takes profile ids or customer ids: Octy's Shopify integration looks a
    profile up by ``?id=<customer id>`` (``Octy-ai/octy-shopify``,
    ``internal/adapters/framework/secondary/rest/octy_requests.go``)."""
    state = call.state

    def lookup(given: str) -> dict[str, Any] | None:
        profile = state.profile_by_id(given) or state.profiles.get(given)
        return None if profile is None else with_insights(state, profile)

    listed = (with_insights(state, profile) for profile in state.profiles.values())
    return list_reply(call, LISTING, listed, lookup, _profile_filter(call))


def set_insights(
    state: OctyState,
    customer_id: str,
    churn_probability: str | None,
    rfm_score: int | None,
    segment_tags: Sequence[str] | None,
) -> dict[str, Any]:
    """Set what Octy would compute for a profile, over what the fake derives from its events.

    ``None`` leaves a field as it is.
    """
    profile = state.profiles.get(customer_id)
    if profile is None:
        raise KeyError(f"No active profile with customer_id {customer_id!r}")
    chosen = state.set_insights.setdefault(profile["profile_id"], {})
    given = {
        "churn_probability": churn_probability,
        "rfm_score": rfm_score,
        "segment_tags": None if segment_tags is None else list(segment_tags),
    }
    chosen.update({name: value for name, value in given.items() if value is not None})
    return with_insights(state, profile)


ROUTES = [
    creates("profiles", _create_one, "customer_id", "Profiles").route(f"{BASE}/create"),
    updates("profiles", _update_one, "profile_id", "Profiles").route(f"{BASE}/update"),
    deletes("profile_ids", _delete_one, "profile_id", "deleted_profiles", "Profiles").route(
        f"{BASE}/delete"
    ),
    Route("GET", BASE, read),
]
