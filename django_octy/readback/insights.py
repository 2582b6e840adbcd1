"""The profile fields Octy computes, as the mirror stores them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

INSIGHT_FIELDS = ("churn_probability", "rfm_score", "segment_tags", "insights_pulled_at")


def rfm_score(value: Any) -> int | None:
    """Octy's RFM score as an integer (``"444"`` and ``444`` alike); ``None`` if there is none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def profile_insights(record: dict[str, Any]) -> dict[str, Any]:
    """``churn_probability``, ``rfm_score``, ``segment_tags`` and when they were read."""
    tags = record.get("segment_tags")
    return {
        "churn_probability": str(record.get("churn_probability") or ""),
        "rfm_score": rfm_score(record.get("rfm_score")),
        "segment_tags": [str(tag) for tag in tags] if isinstance(tags, list) else [],
        "insights_pulled_at": timezone.now(),
    }
