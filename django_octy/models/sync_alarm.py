"""Alarms: conditions that stop syncing until a person acts."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AlarmKind(models.TextChoices):
    AUTH = "auth", "Octy refused the keys"
    CONFIGURATION = "configuration", "Octy is not configured"
    OCTOPUS_AUTH = "octopus_auth", "Octopus refused the credentials"
    OCTOPUS_CONFIGURATION = "octopus_configuration", "Octopus is not configured"


class SyncAlarm(models.Model):
    """One open problem that stops every push, such as keys Octy refuses.

    While an alarm of a kind is open, the same problem seen again only updates
    ``last_seen_at`` and ``occurrences``; resolving it lets a new one open.
    """

    kind = models.CharField(max_length=32, choices=AlarmKind.choices)
    message = models.TextField()
    occurrences = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sync alarm"
        ordering = ("-created_at", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="octy_syncalarm_one_open_per_kind",
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def resolve(self) -> None:
        self.resolved_at = timezone.now()
        self.save(update_fields=["resolved_at"])
