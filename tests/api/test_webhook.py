"""POST webhook/: Octy's account webhook, verified, stored, then announced."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from django_octy.models import DeliveryStatus, WebhookDelivery
from django_octy.testing import FakeOcty
from django_octy.webhooks import webhook_received

pytestmark = pytest.mark.django_db

URL = "/octy/webhook/"
SECRET = "whsec_test_secret"


@pytest.fixture
def received() -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    webhook_received.connect(receiver, weak=False)
    yield calls
    webhook_received.disconnect(receiver)


def post(api: APIClient, body: Any, secret: str | None = SECRET, **extra: Any) -> Any:
    headers = {"HTTP_X_OCTY_WEBHOOK_SECRET": secret} if secret is not None else {}
    return api.post(URL, body, format="json", **headers, **extra)


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("whsec_wrong", 403), ("", 401)])
def test_callers_without_the_secret_are_refused_and_logged(
    octy: FakeOcty,
    api: APIClient,
    received: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
    secret: str | None,
    status: int,
) -> None:
    with caplog.at_level(logging.WARNING, logger="django_octy.api.webhook"):
        response = post(api, {"event": "training_complete"}, secret=secret)
    assert response.status_code == status
    assert not WebhookDelivery.objects.exists() and not received
    assert "Refused an Octy webhook call" in caplog.text
    assert SECRET not in caplog.text


def test_no_configured_secret_refuses_everyone(
    octy: FakeOcty, api: APIClient, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "WEBHOOK_SECRET": ""}
    assert post(api, {"event": "x"}, secret="").status_code == 403
    assert post(api, {"event": "x"}, secret="anything").status_code == 403
    assert not WebhookDelivery.objects.exists()


def test_a_known_delivery_is_stored_then_announced(
    octy: FakeOcty, api: APIClient, received: list[dict[str, Any]]
) -> None:
    payload = {"event": "training_complete", "training_job_id": "job_1"}
    response = post(api, payload)

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert response.json() == {"id": delivery.pk, "status": "processed"}
    assert (delivery.event, delivery.payload, delivery.status) == (
        "training_complete",
        payload,
        DeliveryStatus.PROCESSED,
    )
    assert delivery.processed_at is not None
    assert "X-Octy-Webhook-Secret" not in delivery.headers and SECRET not in str(delivery.headers)
    (call,) = received
    assert (call["delivery"], call["event"], call["payload"]) == (
        delivery,
        "training_complete",
        payload,
    )


def test_the_secret_may_come_in_the_url(octy: FakeOcty, api: APIClient) -> None:
    response = api.post(f"{URL}?token={SECRET}", {"type": "ping"}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("body", [["a", "list"], {"no": "type"}])
def test_an_unknown_shape_is_stored_and_acknowledged(
    octy: FakeOcty, api: APIClient, received: list[dict[str, Any]], body: Any
) -> None:
    response = post(api, body)
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.payload, delivery.status) == (body, DeliveryStatus.UNRECOGNISED)
    assert not received


def test_a_body_that_is_not_json_is_stored_and_acknowledged(octy: FakeOcty, api: APIClient) -> None:
    response = api.generic(
        "POST",
        URL,
        b"\xffnot json",
        content_type="text/plain",
        HTTP_X_OCTY_WEBHOOK_SECRET=SECRET,
    )
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.payload, delivery.status) == (None, DeliveryStatus.UNRECOGNISED)
    assert "not json" in delivery.body


def test_a_failing_receiver_is_recorded_not_raised(octy: FakeOcty, api: APIClient) -> None:
    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("receiver bug")

    webhook_received.connect(broken, weak=False)
    try:
        response = post(api, {"event": "training_complete"})
    finally:
        webhook_received.disconnect(broken)
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "receiver bug" in delivery.error
