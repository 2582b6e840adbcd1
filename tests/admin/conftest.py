"""Fixtures of the admin tests: users with and without permissions, and what Celery was sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery.signals import before_task_publish
from django.contrib.auth.models import Permission, User
from django.test import Client

from django_octy.keycheck import CACHE_KEY
from tests.celery_app import app as celery_app

__all__ = ["celery_app"]

SECRET = "sk_test_never_shown"
"""The secret key of tests/settings.py: no page may contain it."""


@pytest.fixture(autouse=True)
def _no_cached_key_check() -> Iterator[None]:
    from django.core.cache import cache

    cache.delete(CACHE_KEY)
    yield
    cache.clear()


@pytest.fixture
def superuser_client(db: None) -> Client:
    user = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def staff_with(*codenames: str) -> Client:
    user = User.objects.create_user(f"staff-{'-'.join(codenames) or 'none'}", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="django_octy", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Every Celery task sent during the test: ``{"task": name, "kwargs": {...}}``."""
    sent: list[dict[str, Any]] = []

    def record(sender: str, headers: dict[str, Any], body: Any, **_: Any) -> None:
        sent.append({"task": sender, "kwargs": body[1] if isinstance(body, tuple) else {}})

    before_task_publish.connect(record, weak=False, dispatch_uid="tests-published")
    yield sent
    before_task_publish.disconnect(dispatch_uid="tests-published")


def assert_no_secret(response: Any) -> None:
    assert SECRET not in response.content.decode()
