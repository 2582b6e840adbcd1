"""The webhook log: every call Octy made to the account webhook, stored before processing."""

from __future__ import annotations

from django.db import models


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    UNRECOGNISED = "unrecognised", "Unrecognised shape (stored only)"
    FAILED = "failed", "A receiver failed"


class WebhookDelivery(models.Model):
    """One authenticated call to the webhook, exactly as it arrived, and what became of it.

    Written before anything else happens, so a delivery is never lost; the
    processing result is added afterwards. Never edited by a person.
    """

    body = models.TextField(blank=True, help_text="The raw request body.")
    payload = models.JSONField(null=True, blank=True, help_text="The body parsed as JSON.")
    event = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="The notification's type, if known."
    )
    headers = models.JSONField(default=dict, blank=True, help_text="Credentials left out.")
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ("-received_at", "-id")

    def __str__(self) -> str:
        return f"{self.event or 'delivery'} #{self.pk} ({self.status})"
