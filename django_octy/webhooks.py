"""Octy's account webhook: every delivery is stored, then announced with a signal.

Octy's notification format is not published, so nothing here assumes one: a
delivery whose body is a JSON object naming its type (``event``,
``event_type`` or ``type``) is *recognised* and sent as
:data:`webhook_received`; anything else is stored as *unrecognised* and
acknowledged all the same. Connect a receiver::

    from django.dispatch import receiver
    from django_octy.webhooks import webhook_received

    @receiver(webhook_received)
    def on_octy_notification(sender, delivery, event, payload, **kwargs):
        ...

A receiver's exception is caught, logged and written to the delivery's
``error``; it never makes the webhook fail.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from django.dispatch import Signal
from django.utils import timezone

from .models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger(__name__)

webhook_received = Signal()
"""Sent with ``sender=WebhookDelivery`` and ``delivery``, ``event``, ``payload``."""

EVENT_KEYS = ("event", "event_type", "type")


def event_of(payload: Any) -> str:
    """The notification's type, when the payload names one; else ``""``."""
    if isinstance(payload, dict):
        for key in EVENT_KEYS:
            value = payload.get(key)
            if isinstance(value, str) and value:
                return value[:255]
    return ""


def parse(body: bytes) -> tuple[str, Any]:
    """The body as text, and as JSON when it is JSON (else ``None``)."""
    text = body.decode("utf-8", errors="replace")
    try:
        return text, json.loads(text)
    except ValueError:
        return text, None


def receive(
    body: bytes, headers: Mapping[str, str], remote_addr: str | None = None
) -> WebhookDelivery:
    """Store one authenticated delivery, then process it; returns the stored delivery."""
    text, payload = parse(body)
    delivery = WebhookDelivery.objects.create(
        body=text,
        payload=payload,
        event=event_of(payload),
        headers=dict(headers),
        remote_addr=remote_addr or None,
    )
    if not delivery.event:
        logger.info("Stored an Octy webhook delivery of unknown shape (#%s).", delivery.pk)
        finish(delivery, DeliveryStatus.UNRECOGNISED)
    else:
        process(delivery)
    return delivery


def process(delivery: WebhookDelivery) -> None:
    """Send :data:`webhook_received` for a stored delivery and record how the receivers fared."""
    results = webhook_received.send_robust(
        sender=WebhookDelivery, delivery=delivery, event=delivery.event, payload=delivery.payload
    )
    errors = []
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error("A webhook_received receiver failed: %r", receiver, exc_info=result)
            errors.append(f"{getattr(receiver, '__qualname__', receiver)}: {result!r}")
    if errors:
        finish(delivery, DeliveryStatus.FAILED, "\n".join(errors))
    else:
        finish(delivery, DeliveryStatus.PROCESSED)


def finish(delivery: WebhookDelivery, status: DeliveryStatus, error: str = "") -> None:
    delivery.status, delivery.error, delivery.processed_at = status, error, timezone.now()
    delivery.save(update_fields=["status", "error", "processed_at"])
