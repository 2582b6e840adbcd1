"""Template filters of the Octy admin pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils.timesince import timesince

register = template.Library()

JUST_NOW = timedelta(minutes=1)


@register.filter
def age(moment: datetime, now: datetime) -> str:
    """How long before ``now`` ``moment`` was; "under a minute" rather than "0 minutes"."""
    return "under a minute" if now - moment < JUST_NOW else timesince(moment, now)


@register.filter
def ago(moment: datetime | None, now: datetime) -> str:
    """When ``moment`` was, seen from ``now``: "just now", "5 minutes ago"; "-" for none."""
    if moment is None:
        return "-"
    return "just now" if now - moment < JUST_NOW else f"{timesince(moment, now)} ago"
