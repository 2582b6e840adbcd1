"""Message templates."""

from __future__ import annotations

from django.db import models

from .base import SyncedObject, bookkeeping_indexes, source_constraint


class MessageTemplate(SyncedObject):
    """A message template; ``content`` holds ``{placeholder}``s filled at generation."""

    friendly_name = models.CharField(max_length=255, unique=True)
    template_type = models.CharField(max_length=64, help_text='"email", "website", ...')
    title = models.CharField(max_length=255, blank=True)
    content = models.TextField()
    required_data = models.JSONField(default=list, blank=True)
    default_values = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "message template"
        indexes = bookkeeping_indexes("octy_template")
        constraints = (source_constraint("octy_template"),)

    def __str__(self) -> str:
        return self.friendly_name
