"""What Octy computed about the shop's customers, for the admin and the insights page."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import QuerySet

from django_octy import insights
from django_octy.client import OctyError

from .models import Customer

logger = logging.getLogger(__name__)

AT_RISK_SHOWN = 50


def churn_summary() -> dict[str, Any]:
    """Octy's churn report (``None`` when Octy cannot be asked) and how many are at risk."""
    try:
        report: dict[str, Any] | None = insights.churn_report()
    except OctyError:
        logger.warning("Octy's churn report is unavailable", exc_info=True)
        report = None
    at_risk = insights.customers(Customer, churn_probability="high").count()
    return {"churn_report": report, "high_churn_count": at_risk}


def at_risk(segment: str | None = None) -> QuerySet[Customer]:
    """Customers Octy rates at high risk of churning, in ``segment`` if one is given."""
    criteria: dict[str, Any] = {"churn_probability": "high"}
    if segment:
        criteria["segment"] = segment
    return insights.customers(Customer.objects.select_related("user"), **criteria).order_by("pk")
