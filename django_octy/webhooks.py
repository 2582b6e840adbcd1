"""Octy's account webhook: every delivery is stored, then announced with a signal.

Octy's notification format is not published, so nothing here assumes one: a
delivery whose body is a JSON object naming its type (``event``,
``event_type`` or ``type``) is *recognised* and sent as
:data:`webhook_received`; anything else is stored as *unrecognised* and
acknowledged all the same. A body or header the database cannot hold as it
is (a NUL byte, bytes that are not UTF-8) is stored escaped; the same body
received again within ``OCTY["WEBHOOK_REPEAT_WINDOW"]`` seconds is recorded
once. Connect a receiver::

    from django.dispatch import receiver
    from django_octy.webhooks import webhook_received

    @receiver(webhook_received)
    def on_octy_notification(sender, delivery, event, payload, **kwargs):
        ...

A receiver's exception is caught, logged and written to the delivery's
``error``; it never makes the webhook fail.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from .conf import settings
from .escaping import bytes_as_text, escape_json
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


def parse(body: bytes) -> Any:
    """The body as JSON the database can hold, or ``None`` (not JSON, or nested too deep)."""
    try:
        return escape_json(json.loads(body.decode("utf-8")))
    except (ValueError, RecursionError):
        return None


def receive(
    body: bytes, headers: Mapping[str, str], remote_addr: str | None = None
) -> WebhookDelivery:
    """Store one authenticated delivery, then process it; returns the stored delivery.

    The same body again within ``OCTY["WEBHOOK_REPEAT_WINDOW"]`` seconds is not
    stored nor processed again: the first delivery counts it and is returned.
    """
    delivery, new = store(body, headers, remote_addr)
    if not new:
        logger.info("Octy webhook delivery #%s received again: not stored twice.", delivery.pk)
    elif not delivery.event:
        logger.info("Stored an Octy webhook delivery of unknown shape (#%s).", delivery.pk)
        finish(delivery, DeliveryStatus.UNRECOGNISED)
    else:
        process(delivery)
    return delivery


def store(
    body: bytes, headers: Mapping[str, str], remote_addr: str | None
) -> tuple[WebhookDelivery, bool]:
    """The delivery stored for ``body``, and whether it is new (not a repeat in the window)."""
    text, escaped = bytes_as_text(body)
    payload = parse(body)
    fields: dict[str, Any] = {
        "body": text,
        "body_escaped": escaped,
        "payload": payload,
        "event": event_of(payload),
        "headers": escape_json(dict(headers)),
        "remote_addr": remote_addr or None,
    }
    window = float(settings.WEBHOOK_REPEAT_WINDOW or 0)
    if window <= 0:
        return WebhookDelivery.objects.create(**fields), True
    fingerprint = hashlib.sha256(body).hexdigest()
    closed = timezone.now() - timedelta(seconds=window)
    WebhookDelivery.objects.filter(fingerprint=fingerprint, received_at__lt=closed).update(
        fingerprint=None
    )
    try:
        with transaction.atomic():
            return WebhookDelivery.objects.create(fingerprint=fingerprint, **fields), True
    except IntegrityError:
        pass  # stored within the window, maybe a moment ago by another process
    earlier = WebhookDelivery.objects.filter(fingerprint=fingerprint).first()
    if earlier is None:  # its window closed in between
        return WebhookDelivery.objects.create(**fields), True
    WebhookDelivery.objects.filter(pk=earlier.pk).update(repeats=F("repeats") + 1)
    earlier.repeats += 1
    return earlier, False


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
