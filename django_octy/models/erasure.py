"""The erasure log: one row per :func:`django_octy.erase` call, without personal data."""

from __future__ import annotations

from django.db import models


class Erasure(models.Model):
    """When a customer's erasure was asked for, and when each service confirmed it.

    ``subject`` is a keyed hash of the customer (see
    :func:`django_octy.erasure.subject_of`): it tells whether a given customer
    was erased without naming anyone. ``profile_row`` and ``octopus_row`` are
    the ids of the mirror rows being deleted (``None``: that service had
    nothing of the customer); a confirmation time is set when the service
    confirmed the delete, or at once when it never had the customer.
    """

    subject = models.CharField(max_length=64, db_index=True)
    requested_at = models.DateTimeField(auto_now_add=True, db_index=True)
    profile_row = models.BigIntegerField(null=True, blank=True, db_index=True)
    octy_confirmed_at = models.DateTimeField(null=True, blank=True)
    octopus_row = models.BigIntegerField(null=True, blank=True, db_index=True)
    octopus_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "erasure"
        ordering = ("-requested_at", "-id")

    def __str__(self) -> str:
        return f"erasure #{self.pk} ({'complete' if self.complete else 'waiting'})"

    @property
    def complete(self) -> bool:
        """Whether every service that had the customer confirmed the delete."""
        octy_done = self.profile_row is None or self.octy_confirmed_at is not None
        octopus_done = self.octopus_row is None or self.octopus_confirmed_at is not None
        return octy_done and octopus_done
