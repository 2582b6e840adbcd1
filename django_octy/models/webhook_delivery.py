"""The webhook log: every call Octy made to the account webhook, stored before processing."""

from __future__ import annotations

from django.db import models

from ..escaping import text_as_bytes


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    UNRECOGNISED = "unrecognised", "Unrecognised shape (stored only)"
    FAILED = "failed", "A receiver failed"


class WebhookDelivery(models.Model):
    """One authenticated call to the webhook, exactly as it arrived, and what became of it.

    Written before anything else happens, so a delivery is never lost; the
    processing result is added afterwards. Never edited by a person.

    A body the database cannot hold as text (a NUL, bytes that are not UTF-8)
    is stored escaped (``body_escaped``; see :mod:`django_octy.escaping`), and so
    are such strings in the headers and the parsed JSON. ``fingerprint`` (the
    body's SHA-256) is set while the delivery is inside the repeat window: the
    same body again is counted in ``repeats``, not stored again.
    """

    body = models.TextField(blank=True, help_text="The raw request body.")
    body_escaped = models.BooleanField(
        default=False, help_text="The body held a NUL or bytes that are not UTF-8: escaped."
    )
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
    # NULL once the repeat window is over: only the deliveries inside it are unique.
    fingerprint = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    repeats = models.PositiveIntegerField(
        default=0, help_text="The same body received again within the repeat window."
    )

    class Meta:
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ("-received_at", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=models.Q(fingerprint__isnull=False),
                name="octy_webhook_one_per_fingerprint",
            ),
        )

    def __str__(self) -> str:
        return f"{self.event or 'delivery'} #{self.pk} ({self.status})"

    @property
    def raw_body(self) -> bytes:
        """The body exactly as it arrived."""
        return text_as_bytes(self.body, self.body_escaped)
