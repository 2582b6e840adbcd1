"""Item recommendations, computed deterministically from the store (or set by the test)."""

from __future__ import annotations

import hashlib
import heapq
from typing import Any

from ..batch import identifier
from ..call import ApiCall, Route
from ..responses import Reply, success
from ..state import CHARGED, OctyState
from ..validation import ObjectRejected
from .profiles import active_profile

PATH = "/v1/retention/recommendations"
MAX_RECOMMENDATIONS = 10
MODEL_META_DATA = {
    "training_job_id": "training_job_fake_octy",
    "model_accuracy_score": 0.87,
    "recommender_event_type": CHARGED,
    "model_created_at": "2024-01-01 00:00:00",
}


def stable_score(*parts: str) -> float:
    """A score in [0, 1) that depends only on ``parts``: the same in every run."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return round(int.from_bytes(digest[:4], "big") / 2**32, 4)


def recommended(state: OctyState, profile_id: str) -> list[tuple[str, float]]:
    """Best items first: those set by the test, else items the profile was not charged for."""
    if profile_id in state.recommendations:
        return list(state.recommendations[profile_id])
    config = state.algorithm_configs["rec"]
    excluded = set(config.get("item_id_stop_list") or [])
    if not config.get("recommend_interacted_items"):
        excluded |= state.charged_items.get(profile_id, set())
    scored = ((item_id, stable_score(profile_id, item_id)) for item_id in state.items)
    candidates = (pair for pair in scored if pair[0] not in excluded)
    return heapq.nsmallest(MAX_RECOMMENDATIONS, candidates, key=lambda p: (-p[1], p[0]))


def _for_profile(state: OctyState, obj: Any) -> dict[str, Any]:
    try:
        profile_id = identifier(obj, "profile_id")
        active_profile(state, profile_id)
    except ObjectRejected as error:
        return {"profile_id": obj, "recommendations": [], "error": str(error)}
    pairs = recommended(state, profile_id)
    return {
        "profile_id": profile_id,
        "recommendations": [{"item_id": item_id, "score": score} for item_id, score in pairs],
        "error": None,
    }


def recommend(call: ApiCall) -> Reply:
    found = [_for_profile(call.state, obj) for obj in call.objects("profile_ids")]
    return success(
        "Recommendations generated", recommendations=found, model_meta_data=MODEL_META_DATA
    )


ROUTES = [Route("POST", PATH, recommend, "profile_ids")]
