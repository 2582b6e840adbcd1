"""Segment definitions."""

from __future__ import annotations

from django.db import models

from .base import SyncedObject, bookkeeping_indexes, source_constraint


class SegmentType(models.TextChoices):
    LIVE = "live", "Live"
    PAST = "past", "Past"


class Segment(SyncedObject):
    """A segment definition; Octy cannot update one once created.

    ``event_sequence`` is a list of ``{event_type, exp_timeframe,
    action_inaction, event_properties}``.
    """

    segment_name = models.CharField(max_length=255, unique=True)
    segment_type = models.CharField(
        max_length=8, choices=SegmentType.choices, default=SegmentType.LIVE
    )
    segment_sub_type = models.IntegerField(null=True, blank=True)
    segment_timeframe = models.IntegerField(null=True, blank=True, help_text="In days.")
    event_sequence = models.JSONField(default=list, blank=True)
    profile_property_name = models.CharField(max_length=255, blank=True)
    profile_property_value = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "segment"
        indexes = bookkeeping_indexes("octy_segment")
        constraints = (source_constraint("octy_segment"),)

    def __str__(self) -> str:
        return self.segment_name
