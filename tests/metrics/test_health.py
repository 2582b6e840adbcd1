"""The health views: what a load balancer or a Kubernetes probe reads, and nothing secret."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from django_octy.models import AlarmKind, HostChange, Profile
from django_octy.sync.alarms import raise_alarm, resolve_alarms
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

from .conftest import HEALTH, LIVE, READY, TOKEN

pytestmark = pytest.mark.django_db


def test_liveness_asks_nothing(client: Client) -> None:
    response = client.get(LIVE)
    assert (response.status_code, response.json()) == (200, {"status": "ok", "checks": {}})
    assert "no-cache" in response["Cache-Control"]


def test_all_well(client: Client) -> None:
    assert client.get(READY).json() == {"status": "ok", "checks": {"database": {"ok": True}}}
    response = client.get(HEALTH)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"ok": True},
            "alarms": {"ok": True, "open": []},
            "oldest_pending": {"ok": True, "seconds": 0, "limit": 3600.0},
        },
    }


def test_refused_keys_fail_the_health_but_not_the_readiness(
    client: Client, octy: FakeOcty, token_settings: str
) -> None:
    Customer.objects.create(email="a@example.com")
    octy.inject("/v1/retention", status=401, times=None)
    flush_all()

    response = client.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["checks"]["alarms"] == {"ok": False, "open": ["auth"]}
    body = response.content.decode()
    for secret in (octy.secret_key, TOKEN, "401"):
        assert secret not in body
    assert client.get(READY).status_code == 200

    resolve_alarms(AlarmKind.AUTH)
    assert client.get(HEALTH).status_code == 200


def test_every_kind_of_alarm_fails_the_health(client: Client, settings: Any) -> None:
    settings.OCTOPUS = {"BASE_URL": "http://127.0.0.1:1", "TOKEN": "t", "ALLOW_INSECURE": True}
    raise_alarm(AlarmKind.OCTOPUS_AUTH, "Octopus refused the credentials")
    raise_alarm(AlarmKind.CONFIGURATION, "No keys")
    response = client.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["checks"]["alarms"]["open"] == ["configuration", "octopus_auth"]
    assert "refused" not in response.content.decode()


def test_an_alarm_of_a_target_switched_off_stops_nothing(client: Client, settings: Any) -> None:
    settings.OCTOPUS = {"BASE_URL": "http://127.0.0.1:1", "TOKEN": "t", "ALLOW_INSECURE": True}
    raise_alarm(AlarmKind.OCTOPUS_AUTH, "Octopus refused the credentials")
    assert client.get(HEALTH).status_code == 503

    settings.OCTOPUS = {**settings.OCTOPUS, "ENABLED": False}
    response = client.get(HEALTH)
    assert (response.status_code, response.json()["checks"]["alarms"]) == (
        200,
        {"ok": True, "open": []},
    )


def test_a_change_waiting_too_long_fails_the_health(client: Client, settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "HEALTH_MAX_PENDING_AGE": 600}
    Profile.objects.create(customer_id="slow")
    Profile.objects.update(updated_at=timezone.now() - timedelta(minutes=11))

    response = client.get(HEALTH)
    assert response.status_code == 503
    check = response.json()["checks"]["oldest_pending"]
    assert check["ok"] is False and 660 <= check["seconds"] < 700 and check["limit"] == 600

    settings.OCTY = {**settings.OCTY, "HEALTH_MAX_PENDING_AGE": 900}
    assert client.get(HEALTH).status_code == 200
    settings.OCTY = {**settings.OCTY, "HEALTH_MAX_PENDING_AGE": None}
    assert client.get(HEALTH).json()["checks"]["oldest_pending"] == {"ok": True, "limit": None}


def test_a_change_waiting_too_long_to_be_mapped_fails_the_health(
    client: Client, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "HEALTH_MAX_PENDING_AGE": 600}
    Customer.objects.create(email="slow@example.com")
    assert not Profile.objects.exists(), "waiting in the change log"
    HostChange.objects.update(recorded_at=timezone.now() - timedelta(minutes=11))

    check = client.get(HEALTH).json()["checks"]["oldest_pending"]
    assert check["ok"] is False and 660 <= check["seconds"] < 700

    settings.OCTY = {**settings.OCTY, "SYNC_ENABLED": False}  # no flush maps it: by choice
    assert client.get(HEALTH).status_code == 200


def test_rows_of_a_target_switched_off_wait_by_choice(client: Client, settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "SYNC_ENABLED": False, "HEALTH_MAX_PENDING_AGE": 60}
    Profile.objects.create(customer_id="parked")
    Profile.objects.update(updated_at=timezone.now() - timedelta(days=1))
    assert client.get(HEALTH).status_code == 200


@contextmanager
def unreachable_database() -> Iterator[None]:
    """The default connection pointed at a database that does not exist, then restored.

    Restored within the test: the suite's secret watch reads the tables before
    fixtures are torn down.
    """
    name = connection.settings_dict["NAME"]
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/octy.sqlite3"
    else:
        connection.settings_dict["NAME"] = f"{name}_that_does_not_exist"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name


def test_an_unreachable_database_fails_readiness_and_health_only(
    client: Client, transactional_db: None
) -> None:
    with unreachable_database():
        assert client.get(LIVE).status_code == 200
        for url in (READY, HEALTH):
            response = client.get(url)
            assert response.status_code == 503
            assert response.json() == {"status": "failing", "checks": {"database": {"ok": False}}}
