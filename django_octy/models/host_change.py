"""The change log: one narrow row per host-object change, written in the host's transaction."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Now


class HostChange(models.Model):
    """A registered host object changed; the next flush maps it into its mirror rows.

    A save costs this one row: the mapping (the source's own queries, the
    mirror upsert) runs at flush time, in the worker, from the object's state
    then (see :mod:`django_octy.sync.folding`). The row is deleted in the
    transaction that folds it, so a change is always in the log or in its
    mirror rows, never in neither.
    """

    id = models.BigAutoField(primary_key=True)
    # No constraint and no index: either would cost every save, and the fold
    # reads the log in id order (a change of a model that is gone is dropped).
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    object_id = models.CharField(max_length=255)
    recorded_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        verbose_name = "host change waiting to be mapped"

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id}"
