"""POST webhook/: Octy's account webhook, verified, stored, then announced."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
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


# Any bytes, any size: stored as they came (escaped where the database cannot hold them), a
# repeat recorded once, an oversized body refused with 413; never a 500.


class Rollback(Exception):
    """Undoes one hypothesis example's rows."""


def post_bytes(api: APIClient, body: bytes, **extra: Any) -> Any:
    return api.generic(
        "POST",
        URL,
        body,
        content_type="application/json",
        HTTP_X_OCTY_WEBHOOK_SECRET=SECRET,
        **extra,
    )


def escaped(header: str) -> str:
    """A header value as stored: escaped (backslashes doubled, NUL as \\x00) if it holds a NUL."""
    return header.replace("\\", "\\\\").replace("\x00", "\\x00") if "\x00" in header else header


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.binary(max_size=300) | st.sampled_from([b"\x00", b'{"event": "a\\u0000b"}']),
    header=st.text(alphabet=st.characters(max_codepoint=255), max_size=20),
)
def test_any_bytes_are_stored_as_they_came_and_acknowledged(
    octy: FakeOcty, api: APIClient, body: bytes, header: str
) -> None:
    try:
        with transaction.atomic():
            response = post_bytes(api, body, HTTP_X_EXTRA=header)
            assert response.status_code == 200, response.content
            delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
            assert delivery.raw_body == body
            assert delivery.headers["X-Extra"] == escaped(header)
            raise Rollback
    except Rollback:
        pass


def test_a_nul_in_the_json_is_stored_escaped_and_announced(
    octy: FakeOcty, api: APIClient, received: list[dict[str, Any]]
) -> None:
    body = b'{"event": "training_complete", "note": "a\\u0000b"}'
    response = post_bytes(api, body, HTTP_X_EXTRA="nul\x00here")

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload == {"event": "training_complete", "note": "a\\x00b"}
    assert delivery.headers["X-Extra"] == "nul\\x00here"
    assert delivery.raw_body == body and delivery.status == DeliveryStatus.PROCESSED
    assert [call["event"] for call in received] == ["training_complete"]


def test_json_nested_too_deep_is_stored_as_a_body_only(octy: FakeOcty, api: APIClient) -> None:
    body = b"[" * 50_000 + b"]" * 50_000
    response = post_bytes(api, body)
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.payload, delivery.status, delivery.raw_body) == (
        None,
        DeliveryStatus.UNRECOGNISED,
        body,
    )


def test_the_same_delivery_within_the_window_is_recorded_once(
    octy: FakeOcty, api: APIClient, received: list[dict[str, Any]]
) -> None:
    body = b'{"event": "training_complete", "training_job_id": "job_1"}'
    first, again = post_bytes(api, body), post_bytes(api, body)

    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.repeats == 1 and len(received) == 1
    assert post_bytes(api, body + b" ").json()["id"] != delivery.pk, "another body is stored"


def test_the_same_delivery_after_the_window_is_stored_again(
    octy: FakeOcty, api: APIClient, settings: Any
) -> None:
    body = b'{"event": "training_complete"}'
    first = post_bytes(api, body).json()["id"]
    window = settings.OCTY.get("WEBHOOK_REPEAT_WINDOW", 300)
    WebhookDelivery.objects.update(received_at=timezone.now() - timedelta(seconds=window + 1))

    assert post_bytes(api, body).json()["id"] != first
    assert WebhookDelivery.objects.count() == 2


def test_a_zero_window_stores_every_delivery(octy: FakeOcty, api: APIClient, settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "WEBHOOK_REPEAT_WINDOW": 0}
    body = b'{"event": "training_complete"}'
    post_bytes(api, body), post_bytes(api, body)
    assert WebhookDelivery.objects.count() == 2


def test_a_body_over_the_limit_is_refused_with_413_and_not_stored(
    octy: FakeOcty, api: APIClient, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.OCTY = {**settings.OCTY, "WEBHOOK_MAX_BYTES": 100}
    with caplog.at_level(logging.WARNING, logger="django_octy.api.webhook"):
        refused = post_bytes(api, b"x" * 101)
    assert refused.status_code == 413
    assert refused.json() == {"detail": "The body is larger than 100 bytes."}
    assert "over 100 bytes" in caplog.text and not WebhookDelivery.objects.exists()
    assert post_bytes(api, b"x" * 100).status_code == 200


def test_djangos_own_upload_limit_is_a_413_too(
    octy: FakeOcty, api: APIClient, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50
    assert post_bytes(api, b"x" * 51).status_code == 413
    assert not WebhookDelivery.objects.exists()
