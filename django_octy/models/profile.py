"""Customer profiles."""

from __future__ import annotations

from typing import Any

from django.db import models

from .base import SyncedObject, bookkeeping_indexes, source_constraint

DEFAULT_PLATFORM_INFO = {"platform": "django"}
"""A profile's ``platform_info`` when its source declares none, and what an empty
``profile_data`` or ``platform_info`` is sent as: Octy requires at least one
key/value pair in each (its API reference, https://api-docs.octy.ai/)."""


def filled(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` as sent to Octy: never an empty object."""
    return values or dict(DEFAULT_PLATFORM_INFO)


class Profile(SyncedObject):
    """One customer as Octy knows it, plus what Octy computed about them.

    ``churn_probability``, ``rfm_score`` and ``segment_tags`` are read back from
    Octy, never pushed. ``parent`` points at the profile this one was merged
    into by Octy's identity merging.
    """

    customer_id = models.CharField(max_length=255, unique=True)
    profile_data = models.JSONField(default=dict, blank=True)
    platform_info = models.JSONField(default=dict, blank=True)
    has_charged = models.BooleanField(default=False)
    status = models.CharField(max_length=64, blank=True)

    churn_probability = models.CharField(max_length=32, blank=True, editable=False)
    rfm_score = models.IntegerField(null=True, blank=True, editable=False)
    segment_tags = models.JSONField(default=list, blank=True, editable=False)
    insights_pulled_at = models.DateTimeField(null=True, blank=True, editable=False)

    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_children",
        help_text="The profile Octy merged this one into.",
    )

    remote_fields = (
        "churn_probability",
        "rfm_score",
        "segment_tags",
        "insights_pulled_at",
        "parent",
    )

    class Meta:
        verbose_name = "profile"
        indexes = bookkeeping_indexes("octy_profile")
        constraints = (source_constraint("octy_profile"),)

    def __str__(self) -> str:
        return self.customer_id
