"""The error log: one read-only row per failure."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from .base import SyncedObject
from .entity import MODEL_NAMES, Entity


class Operation(models.TextChoices):
    MAP = "map", "Map host object"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"


class SyncError(models.Model):
    """One failure to map or push one object, as Octy (or the mapping) explained it.

    Written once, never edited. ``identifier`` is the object's own id
    (``customer_id``, ``item_id``, ...) or, for a mapping error, the host object.
    """

    entity = models.CharField(max_length=16, choices=Entity.choices)
    row_id = models.BigIntegerField(
        null=True, blank=True, help_text="The mirror row's id, when there is one."
    )
    identifier = models.CharField(max_length=255, blank=True)
    operation = models.CharField(max_length=8, choices=Operation.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    messages = models.JSONField(default=list, blank=True)
    extended_help = models.URLField(max_length=500, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "sync error"
        indexes = (models.Index(fields=["entity", "row_id"], name="octy_syncerror_row"),)
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.entity} {self.identifier}: {self.reason}"

    @property
    def mirror(self) -> SyncedObject | None:
        """The mirror row this error is about, if it still exists."""
        if self.row_id is None:
            return None
        model = apps.get_model("django_octy", MODEL_NAMES[Entity(self.entity)])
        mirror: SyncedObject | None = model._default_manager.filter(pk=self.row_id).first()
        return mirror
