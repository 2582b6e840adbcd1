"""System checks: stable ids for settings that cannot work."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from django.core.checks import ERROR, WARNING, run_checks
from django.db import models

from django_octy import checks
from django_octy.models import AlarmKind, SyncAlarm
from django_octy.sync.alarms import raise_alarm
from django_octy.sync.registry import registry
from django_octy.sync.sources import ProfileSource

GOOD = {"PUBLIC_KEY": "pk_live_1", "SECRET_KEY": "sk_live_1", "BASE_URL": "https://api.octy.ai"}


def ids(messages: list[Any]) -> list[str]:
    return sorted(message.id for message in messages)


@pytest.fixture
def celery_app() -> Iterator[Celery]:
    app = Celery("project", set_as_current=False)
    app.set_current()
    yield app
    from tests.celery_app import app as tests_app

    tests_app.set_current()


def test_good_settings_pass(settings: Any, celery_app: Celery) -> None:
    settings.OCTY = GOOD
    assert run_checks(tags=["django_octy"]) == []


@pytest.fixture
def no_keys(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCTY_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("OCTY_SECRET_KEY", raising=False)
    settings.OCTY = {"BASE_URL": "https://api.octy.ai"}


def test_missing_keys_stop_runserver(no_keys: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["manage.py", "runserver"])
    messages = checks.check_keys()
    assert ids(messages) == ["django_octy.E001", "django_octy.E002"]
    assert all(message.level == ERROR for message in messages)
    assert "sk_" not in " ".join(str(m) for m in messages)


@pytest.mark.parametrize("command", ["migrate", "collectstatic", "check", "makemigrations"])
def test_missing_keys_only_warn_where_they_are_not_needed(
    no_keys: None, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """A Docker build or a CI job without secrets must not exit 1."""
    monkeypatch.setattr(sys, "argv", ["manage.py", command])
    messages = checks.check_keys()
    assert ids(messages) == ["django_octy.W007"]
    assert messages[0].level == WARNING
    assert 'OCTY["PUBLIC_KEY"] and OCTY["SECRET_KEY"]' in messages[0].msg


def test_keys_are_not_needed_while_syncing_is_off(
    no_keys: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["manage.py", "runserver"])
    settings.OCTY = {"BASE_URL": "https://api.octy.ai", "SYNC_ENABLED": False}
    assert checks.check_keys() == []
    checks.refuse_to_work_without_keys()  # does not exit


def test_a_celery_worker_without_keys_refuses_to_start(no_keys: None) -> None:
    with pytest.raises(SystemExit, match="refuses to start") as exit:
        checks.refuse_to_work_without_keys()
    assert "django_octy.E001" in str(exit.value) and "django_octy.E002" in str(exit.value)


@pytest.mark.parametrize(
    ("url", "debug", "allow", "expected"),
    [
        ("http://api.octy.ai", False, False, ["django_octy.E003"]),
        ("http://api.octy.ai", True, False, []),
        ("http://127.0.0.1:9000", False, True, []),
        ("https://api.octy.ai", False, False, []),
    ],
)
def test_base_url_must_be_https_outside_debug(
    settings: Any, url: str, debug: bool, allow: bool, expected: list[str]
) -> None:
    settings.DEBUG = debug
    settings.OCTY = {**GOOD, "BASE_URL": url, "ALLOW_INSECURE_BASE_URL": allow}
    assert ids(checks.check_base_url()) == expected


@pytest.mark.parametrize("size", [0, 501, -3, "500", 2.5, True])
def test_batch_size_outside_1_to_500(settings: Any, size: object) -> None:
    settings.OCTY = {**GOOD, "BATCH_SIZE": size}
    assert ids(checks.check_batch_size()) == ["django_octy.E004"]


@pytest.mark.parametrize("size", [1, 500])
def test_batch_size_bounds_are_fine(settings: Any, size: int) -> None:
    settings.OCTY = {**GOOD, "BATCH_SIZE": size}
    assert checks.check_batch_size() == []


def test_a_lease_too_short_for_one_request(settings: Any) -> None:
    settings.OCTY = {**GOOD, "LEASE_SECONDS": 60, "TIMEOUT": 30.0}
    (error,) = checks.check_lease()
    assert error.id == "django_octy.E010"
    assert "60" in error.msg and "Octy" in error.msg


def test_the_default_lease_leaves_a_push_time(settings: Any) -> None:
    settings.OCTY = {**GOOD, "LEASE_SECONDS": 300, "TIMEOUT": (5.0, 30.0)}
    assert checks.check_lease() == []


def test_source_for_a_model_that_is_not_installed() -> None:
    class Ghost(models.Model):
        class Meta:
            app_label = "not_installed"

    source = ProfileSource(Ghost)
    registry.register(Ghost, source)
    try:
        messages = checks.check_sources()
    finally:
        registry.unregister(Ghost)
    assert ids(messages) == ["django_octy.E005"]
    assert "not_installed.Ghost" in messages[0].msg


def test_registered_shop_sources_pass() -> None:
    assert checks.check_sources() == []


def test_no_celery_app(settings: Any) -> None:
    fallback = Celery("default", set_as_current=False)
    fallback.set_current()
    try:
        assert ids(checks.check_celery()) == ["django_octy.W001"]
    finally:
        from tests.celery_app import app

        app.set_current()


def test_queue_not_routed(settings: Any, celery_app: Celery) -> None:
    from kombu import Queue

    settings.OCTY = {**GOOD, "CELERY_QUEUE": "octy"}
    celery_app.conf.task_queues = [Queue("default")]
    assert ids(checks.check_celery()) == ["django_octy.W002"]
    celery_app.conf.task_queues = [Queue("default"), Queue("octy")]
    assert checks.check_celery() == []


def test_queue_without_declared_queues_is_created_by_celery(
    settings: Any, celery_app: Celery
) -> None:
    settings.OCTY = {**GOOD, "CELERY_QUEUE": "octy"}
    assert checks.check_celery() == []
    celery_app.conf.task_create_missing_queues = False
    assert ids(checks.check_celery()) == ["django_octy.W002"]


@pytest.mark.django_db
def test_open_alarm_is_a_database_warning() -> None:
    assert checks.check_alarms(databases=["default"]) == []
    raise_alarm(AlarmKind.AUTH, "HTTP 401")
    assert ids(checks.check_alarms(databases=["default"])) == ["django_octy.W003"]
    assert checks.check_alarms() == []  # database checks run only when asked for


@pytest.mark.django_db
def test_database_check_is_silent_before_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SyncAlarm._meta, "db_table", "django_octy_not_migrated_yet")
    raise_alarm_would_fail = SyncAlarm.objects.filter(resolved_at__isnull=True)
    assert checks.check_alarms(databases=["default"]) == []
    with pytest.raises(Exception, match="django_octy_not_migrated_yet"):
        list(raise_alarm_would_fail)


def test_a_profile_source_that_maps_no_profile_data_is_warned_about() -> None:
    """Octy refuses a profile without a key/value pair in ``profile_data`` (Octy's API
    reference, https://api-docs.octy.ai/): a source that declares none gets W005."""

    class Visitor(models.Model):
        class Meta:
            app_label = "shop"

    class BareSource(ProfileSource[Any]):
        pass

    class MappedSource(ProfileSource[Any]):
        def profile_data(self, obj: Any) -> dict[str, Any]:
            return {"visits": 1}

    for source_class, expected in ((BareSource, ["django_octy.W005"]), (MappedSource, [])):
        registry.register(Visitor, source_class(Visitor))
        try:
            messages = checks.check_profile_sources()
        finally:
            registry.unregister(Visitor)
        assert ids(messages) == expected
    assert checks.check_profile_sources() == [], "the shop's source declares its fields"


@pytest.mark.parametrize(
    ("front_end", "expected"),
    [
        ({"TRUSTED_PROXIES": ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]}, []),
        ({"TRUSTED_PROXIES": ["proxy.internal"]}, ["django_octy.E009"]),
        ({"FRONTEND_EVENT_TYPES": ["searched"]}, []),
        ({"FRONTEND_EVENT_TYPES": ["searched", "charged"]}, ["django_octy.W006"]),
    ],
)
def test_front_end_settings(settings: Any, front_end: dict[str, Any], expected: list[str]) -> None:
    settings.OCTY = {**GOOD, **front_end}
    assert ids(checks.check_front_end()) == expected


@pytest.mark.django_db
def test_a_configuration_alarm_is_over_once_the_settings_make_a_client(settings: Any) -> None:
    """W003 is re-evaluated for a configuration alarm: fixing the setting is enough to
    clear it, without waiting for the next flush (or the next push)."""
    settings.OCTY = {**GOOD, "BASE_URL": "http://127.0.0.1:8765"}
    raise_alarm(AlarmKind.CONFIGURATION, "The Octy base URL http://127.0.0.1 is not HTTPS")
    assert ids(checks.check_alarms(databases=["default"])) == ["django_octy.W003"]

    settings.OCTY = {**GOOD, "BASE_URL": "http://127.0.0.1:8765", "ALLOW_INSECURE_BASE_URL": True}

    assert checks.check_alarms(databases=["default"]) == []
    assert not SyncAlarm.objects.filter(resolved_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_refused_key_alarm_waits_for_a_push(settings: Any) -> None:
    """Only Octy can say that keys are accepted again: the check cannot clear it."""
    settings.OCTY = GOOD
    raise_alarm(AlarmKind.AUTH, "HTTP 401")
    assert ids(checks.check_alarms(databases=["default"])) == ["django_octy.W003"]
