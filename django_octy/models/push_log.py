"""One row per batch request sent to Octy, for the dashboard."""

from __future__ import annotations

from django.db import models

from .entity import Entity
from .sync_error import Operation


class PushLog(models.Model):
    """What one batch push sent and how it went.

    ``error_status`` and ``error`` are set when the request as a whole failed
    (``error_status`` is ``None`` when no answer came at all).
    """

    entity = models.CharField(max_length=16, choices=Entity.choices)
    operation = models.CharField(max_length=8, choices=Operation.choices)
    sent = models.PositiveIntegerField(help_text="Objects sent.")
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration = models.FloatField(help_text="Seconds.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "push log entry"
        verbose_name_plural = "push log"
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.operation} {self.sent} {self.entity}: {self.succeeded} ok"
