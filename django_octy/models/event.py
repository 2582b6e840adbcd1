"""Customer events (append-only)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .base import SyncedObject, bookkeeping_indexes
from .profile import Profile


class Event(SyncedObject):
    """Something a customer did. Events are only ever added, never changed.

    ``dedupe_key`` makes recording idempotent: an event whose key already
    exists is not recorded again (re-saving a paid order records nothing new).
    """

    event_type = models.CharField(max_length=255, db_index=True)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="events")
    event_properties = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    dedupe_key = models.CharField(max_length=255, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = "event"
        # One host object may record several events: no one-per-source constraint.
        indexes = (
            *bookkeeping_indexes("octy_event"),
            models.Index(fields=["source_type", "source_id"], name="octy_event_source"),
        )

    def __str__(self) -> str:
        return f"{self.event_type} by {self.profile_id}"
