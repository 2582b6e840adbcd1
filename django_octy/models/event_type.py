"""Event type definitions."""

from __future__ import annotations

from django.db import models

from .base import SyncedObject, bookkeeping_indexes, source_constraint


class EventType(SyncedObject):
    """An event type declared by the project; Octy cannot update one once created."""

    event_type = models.CharField(max_length=255, unique=True)
    event_properties = models.JSONField(
        default=list, blank=True, help_text="The property names events of this type may carry."
    )

    class Meta:
        verbose_name = "event type"
        indexes = bookkeeping_indexes("octy_eventtype")
        constraints = (source_constraint("octy_eventtype"),)

    def __str__(self) -> str:
        return self.event_type
