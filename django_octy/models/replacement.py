"""Definitions being replaced in Octy: deleted first, then created again."""

from __future__ import annotations

from django.db import models

from .entity import Entity


class Replacement(models.Model):
    """A changed event type or segment waiting for its old version to leave Octy.

    Octy cannot update these, so a change deletes the old object and creates
    the new one. While this row exists, the mirror row is being deleted; once
    Octy confirms the deletion, the row is queued for creation again.
    """

    entity = models.CharField(max_length=16, choices=Entity.choices)
    row_id = models.BigIntegerField()
    old_octy_id = models.CharField("old Octy id", max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "definition replacement"
        constraints = (
            models.UniqueConstraint(
                fields=["entity", "row_id"], name="octy_replacement_one_per_row"
            ),
        )

    def __str__(self) -> str:
        return f"replace {self.entity} {self.row_id}"
