"""The sync bookkeeping shared by every mirror model."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q


class SyncState(models.TextChoices):
    PENDING = "pending", "Pending"
    SYNCED = "synced", "Synced"
    FAILED = "failed", "Failed"
    DELETE_PENDING = "delete_pending", "Delete pending"
    DELETED = "deleted", "Deleted"


OUTSTANDING_STATES = (SyncState.PENDING, SyncState.DELETE_PENDING)
"""States whose rows still have something to push."""

BOOKKEEPING_FIELDS = frozenset(
    {
        "octy_id",
        "remote",
        "state",
        "deletion_requested",
        "version",
        "synced_version",
        "attempts",
        "next_attempt_at",
        "leased_until",
        "lease_token",
        "create_sent",
        "last_error",
        "last_synced_at",
        "created_at",
        "updated_at",
        "source_type",
        "source_id",
    }
)
"""The columns the sync engine keeps; everything else is the object's own data."""


class SyncedObject(models.Model):
    """A local copy of one Octy object and what is known of its sync.

    ``version`` goes up with every local change; ``synced_version`` is the last
    version Octy confirmed. A row is pushed while it is pending (or
    delete pending) and is marked synced only for the version that was sent.
    ``source_type``/``source_id`` link the row to the host object it mirrors,
    when there is one.
    """

    # NULL, not "", means "not in Octy yet": the claim and the admin filter on it.
    octy_id = models.CharField(  # noqa: DJ001
        "Octy id", max_length=255, null=True, blank=True, db_index=True, editable=False
    )
    remote = models.JSONField(
        default=dict, blank=True, editable=False, help_text="What Octy last returned."
    )
    state = models.CharField(
        max_length=16, choices=SyncState.choices, default=SyncState.PENDING, editable=False
    )
    deletion_requested = models.BooleanField(
        default=False, editable=False, help_text="The last local change removes the object."
    )
    version = models.PositiveBigIntegerField(default=1, editable=False)
    synced_version = models.PositiveBigIntegerField(default=0, editable=False)
    attempts = models.PositiveIntegerField(default=0, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    create_sent = models.BooleanField(
        default=False,
        editable=False,
        help_text="A create was sent: the object may exist remotely even without an id here.",
    )
    last_error = models.TextField(blank=True, editable=False)
    last_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    source_type = models.ForeignKey(
        ContentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # NULL with source_type: the one-per-source constraint skips rows without a source.
    source_id = models.CharField(  # noqa: DJ001
        max_length=255, null=True, blank=True, editable=False
    )
    source = GenericForeignKey("source_type", "source_id")
    source_modified_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The host object's modification time when its last change was recorded.",
    )

    remote_fields: ClassVar[tuple[str, ...]] = ()
    """Fields Octy computes and the app reads back: saving only these is not a local change."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save a local change and queue it for Octy.

        The bookkeeping columns belong to the sync engine: saving an existing
        row never writes them (they may have moved on since the row was loaded).
        """
        from ..sync.recording import record_mirror_save

        adding = self._state.adding
        update_fields = kwargs.get("update_fields")
        if not adding and update_fields is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in BOOKKEEPING_FIELDS
            ]
        super().save(*args, **kwargs)
        written = set(kwargs.get("update_fields") or ())
        if adding or not written <= {*BOOKKEEPING_FIELDS, *self.remote_fields}:
            record_mirror_save(self, adding)

    @property
    def is_dirty(self) -> bool:
        """Whether a local change has not reached Octy yet."""
        return self.state in OUTSTANDING_STATES


def bookkeeping_indexes(prefix: str) -> tuple[models.Index, ...]:
    """Indexes that keep claims and the admin's failure list cheap at millions of rows.

    Partial indexes hold only the outstanding (or failed) rows, in id order, so a
    claim walks a small index however many synced rows the table has.
    """
    return (
        models.Index(
            fields=["id", "next_attempt_at"],
            condition=Q(state__in=OUTSTANDING_STATES),
            name=f"{prefix}_due",
        ),
        models.Index(fields=["id"], condition=Q(state=SyncState.FAILED), name=f"{prefix}_failed"),
        models.Index(
            fields=["lease_token"], condition=Q(lease_token__isnull=False), name=f"{prefix}_leased"
        ),
    )


def source_constraint(prefix: str) -> models.UniqueConstraint:
    """At most one mirror row per host object."""
    return models.UniqueConstraint(
        fields=["source_type", "source_id"],
        condition=Q(source_type__isnull=False),
        name=f"{prefix}_one_per_source",
    )
