"""Profile identity: Octy's merging of profiles and the metadata endpoint that reports it.

The labels and the existence flag are those Octy's own Shopify integration reads
(``Octy-ai/octy-shopify``, ``internal/application/api/customer_api.go``): a parent
is ``"parent_profile"``, a merged-away child ``"child_profile"``, and the child
answers ``profile_exists: false`` (with ``was_merged: true`` and its parent).
"""

from __future__ import annotations

from typing import Any

from ..call import ApiCall, Route
from ..responses import ApiError, Reply, success
from ..state import OctyState, now
from .profiles import BASE

PARENT_LABEL = "parent_profile"
CHILD_LABEL = "child_profile"


def _merged_info(state: OctyState, profile: dict[str, Any] | None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "was_merged": False,
        "merged_at": None,
        "authenticated_id_key": None,
        "authenticated_id_value": None,
        "parent_or_child": None,
        "parent_profile": None,
        "merged_child_profiles": [],
    }
    if profile is None:
        return info
    key = state.account_config["authenticated_id_key"] or None
    parent_id = profile.get("parent_profile_id")
    if parent_id is not None:
        parent = state.profile_by_id(parent_id)
        return {
            **info,
            "was_merged": True,
            "merged_at": profile["merged_at"],
            "authenticated_id_key": key,
            "authenticated_id_value": parent["profile_data"].get(key) if parent and key else None,
            "parent_or_child": CHILD_LABEL,
            "parent_profile": {
                "parent_profile_id": parent_id,
                "parent_customer_id": parent["customer_id"] if parent else None,
            },
        }
    children = [
        c for c in state.merged_profiles.values() if c["parent_profile_id"] == profile["profile_id"]
    ]
    if not children:
        return info
    return {
        **info,
        "was_merged": True,
        "merged_at": max(c["merged_at"] for c in children),
        "authenticated_id_key": key,
        "authenticated_id_value": profile["profile_data"].get(key) if key else None,
        "parent_or_child": PARENT_LABEL,
        "merged_child_profiles": [
            {"profile_id": c["profile_id"], "customer_id": c["customer_id"]} for c in children
        ],
    }


def _metadata_of(state: OctyState, provided: str) -> dict[str, Any]:
    active = state.profile_by_id(provided) or state.profiles.get(provided)
    summary = {
        "profile_exists": active is not None,
        "profile_id": active["profile_id"] if active else None,
        "customer_id": active["customer_id"] if active else None,
        "created_at": active["created_at"] if active else None,
        "updated_at": active["updated_at"] if active else None,
    }
    return {
        "provided_identifier": provided,
        "profile": summary,
        "merged_info": _merged_info(state, active or state.merged_child(provided)),
    }


def metadata(call: ApiCall) -> Reply:
    ids = call.ids()
    if not ids:
        raise ApiError(
            400, "Invalid customer identifier provided", "Send ?ids=a,b.", topic="profiles"
        )
    meta = [_metadata_of(call.state, provided) for provided in ids]
    reply = success("Profile metadata found", profiles_meta=meta)
    reply.body["request_meta"].update(count=len(meta), total=len(meta))
    return reply


def merge(state: OctyState, child_customer_id: str, parent_customer_id: str) -> None:
    """Merge a profile into another, as Octy's identity merging does."""
    child = state.profiles.get(child_customer_id)
    parent = state.profiles.get(parent_customer_id)
    if child is None or parent is None or child is parent:
        raise ValueError("merge_profiles needs two different active customer ids")
    state.remove_profile(child)
    child.update(parent_profile_id=parent["profile_id"], merged_at=now())
    state.merged_profiles[child_customer_id] = child
    state.merged_customer_ids[child["profile_id"]] = child_customer_id
    charged = state.charged_items.pop(child["profile_id"], set())
    state.charged_items.setdefault(parent["profile_id"], set()).update(charged)
    # The child's history is the parent's now: the derived insights count it.
    history = state.events_by_profile.pop(child["profile_id"], [])
    state.events_by_profile.setdefault(parent["profile_id"], []).extend(history)
    parent["has_charged"] = parent["has_charged"] or child["has_charged"]
    parent["updated_at"] = now()


ROUTES = [Route("GET", f"{BASE}/metadata", metadata)]
