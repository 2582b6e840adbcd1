"""The churn prediction report, derived deterministically from the profiles' churn labels."""

from __future__ import annotations

import hashlib
from typing import Any

from ..call import ApiCall, Route
from ..insights import with_insights
from ..responses import Reply, success
from ..state import OctyState
from .recommendations import stable_score

PATH = "/v1/retention/churn_prediction/report"
DEFAULT_FEATURES = ["has_charged", "rfm_score"]


def _direction(difference: float) -> str:
    if difference > 0:
        return "increase"
    return "decrease" if difference < 0 else "no change"


def report(state: OctyState) -> dict[str, Any]:
    """Churn share of profiles marked ``high``, compared with the previous report."""
    total = len(state.profiles)
    labels = [with_insights(state, p)["churn_probability"] for p in state.profiles.values()]
    high = labels.count("high")
    current = round(100 * high / total, 2) if total else 0.0
    previous = state.last_churn_percentage
    difference = 0.0 if previous is None else round(current - previous, 2)
    state.last_churn_percentage = current
    features = state.algorithm_configs["churn"].get("profile_features") or DEFAULT_FEATURES
    weights = [stable_score("churn", name) + 0.01 for name in features]
    job = hashlib.sha256(",".join(features).encode()).hexdigest()[:16]
    return {
        "training_job_data": {
            "training_job_id": f"training_job_{job}",
            "model_accuracy": 0.87,
            "training_job_date": "2024-01-01 00:00:00",
        },
        "churn_data": {
            "current_churn_percentage": current,
            "churn_direction_indication": _direction(difference),
            "churn_percentage_difference": difference,
            "features_of_importance": [
                {"feature_name": name, "feature_importance": round(w / sum(weights), 4)}
                for name, w in zip(features, weights, strict=True)
            ],
        },
    }


def churn_report(call: ApiCall) -> Reply:
    return success("Churn prediction report", churn_prediction_report=report(call.state))


ROUTES = [Route("GET", PATH, churn_report)]
