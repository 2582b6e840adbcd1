"""Fixtures of the API tests: the fake Octy, a declared event type, visitors."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.test import APIClient

from django_octy.models import EventType
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOcty
from tests.shop.models import Customer


def customer_of_user(request: HttpRequest) -> Customer | None:
    """The tests' visitor resolver: a logged-in user is the shop customer with their email."""
    user = request.user
    return Customer.objects.filter(email=user.email).first() if user.is_authenticated else None


@pytest.fixture
def octy(octy_settings: FakeOcty, settings: Any, db: None) -> FakeOcty:
    settings.OCTY = {
        **settings.OCTY,
        "MAX_RETRIES": 0,
        "WEBHOOK_SECRET": "whsec_test_secret",
        "VISITOR_RESOLVER": "tests.api.conftest.customer_of_user",
    }
    cache.clear()
    EventType.objects.create(event_type="watched_video", event_properties=["video_id"])
    assert not flush_all().stopped
    return octy_settings


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def ann(octy: FakeOcty) -> Customer:
    customer = Customer.objects.create(email="ann@example.com", first_name="Ann")
    User.objects.create_user("ann", "ann@example.com", "pw")
    return customer
