"""System checks (``manage.py check``): settings that cannot work, caught at start-up.

Every id is stable and documented in ``docs/checks.md``. The checks that read the
database are tagged ``database`` (Django runs them on ``migrate`` and with
``check --database``) and stay silent when the tables do not exist yet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.apps import AppConfig, apps
from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, transaction

from .client.batching import MAX_BATCH_SIZE
from .conf import octopus_settings, settings

DOCS = "See docs/checks.md."

T = TypeVar("T")


def _error(id: str, msg: str, hint: str) -> Error:
    return Error(msg, hint=f"{hint} {DOCS}", id=f"django_octy.{id}")


def _warning(id: str, msg: str, hint: str) -> Warning:
    return Warning(msg, hint=f"{hint} {DOCS}", id=f"django_octy.{id}")


@register("django_octy")
def check_keys(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E001/E002: both keys are needed for every request (unless syncing is turned off)."""
    messages: list[CheckMessage] = []
    if not settings.SYNC_ENABLED:
        return messages
    if not settings.PUBLIC_KEY:
        messages.append(
            _error(
                "E001",
                'OCTY["PUBLIC_KEY"] is not set.',
                "Set it in settings.OCTY or the OCTY_PUBLIC_KEY environment variable.",
            )
        )
    if not settings.SECRET_KEY:
        messages.append(
            _error(
                "E002",
                'OCTY["SECRET_KEY"] is not set.',
                "Set it in settings.OCTY or the OCTY_SECRET_KEY environment variable.",
            )
        )
    return messages


@register("django_octy")
def check_base_url(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E003: the secret key travels in every request, so only over HTTPS in production."""
    url = str(settings.BASE_URL)
    if urlsplit(url).scheme == "https" or django_settings.DEBUG:
        return []
    if settings.ALLOW_INSECURE_BASE_URL:
        return []
    return [
        _error(
            "E003",
            f'OCTY["BASE_URL"] is not an HTTPS URL ({url!r}) and DEBUG is off.',
            "Use https://api.octy.ai; for a local test server, set "
            'OCTY["ALLOW_INSECURE_BASE_URL"] = True.',
        )
    ]


@register("django_octy")
def check_batch_size(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E004: Octy takes at most 500 objects per request."""
    size = settings.BATCH_SIZE
    if isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= MAX_BATCH_SIZE:
        return []
    return [
        _error(
            "E004",
            f'OCTY["BATCH_SIZE"] must be a whole number from 1 to {MAX_BATCH_SIZE}, got {size!r}.',
            f"Octy accepts at most {MAX_BATCH_SIZE} objects per request; the default is 500.",
        )
    ]


@register("django_octy")
def check_sources(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E005: a source registered for a model Django does not know (not installed, swapped)."""
    from .sync.registry import registry

    messages: list[CheckMessage] = []
    for source in registry.all():
        model = source.model
        meta = model._meta
        try:
            installed = apps.get_model(meta.app_label, meta.model_name) is model
        except LookupError:
            installed = False
        if not installed or meta.swapped or meta.abstract:
            messages.append(
                _error(
                    "E005",
                    f"{source!r} is registered for {meta.label}, which is not an installed model.",
                    "Register sources for concrete models of installed apps only.",
                )
            )
    return messages


@register("django_octy")
def check_celery(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W001/W002: changes are pushed by Celery; without an app, or with the queue
    nobody consumes, they wait for ``octy_resync``."""
    from celery import current_app

    app = current_app
    if app.main in (None, "default"):  # Celery's fallback app: the project made none
        return [
            _warning(
                "W001",
                "No Celery app is configured, so changes are never pushed to Octy by a worker.",
                "Create a Celery app and load it when Django starts (the usual celery.py "
                "imported from your project's __init__.py).",
            )
        ]
    queue = settings.CELERY_QUEUE
    if not queue:
        return []
    declared = app.conf.task_queues
    names = {getattr(q, "name", q) for q in declared} if declared else set()
    routed = queue in names if declared else app.conf.task_create_missing_queues
    if not routed:
        return [
            _warning(
                "W002",
                f'OCTY["CELERY_QUEUE"] is {queue!r}, but the Celery app declares no such queue.',
                "Add it to task_queues and start a worker that consumes it (celery worker -Q).",
            )
        ]
    return []


@register("django_octy")
def check_octopus(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E006-E009: an Octopus target that is switched on needs credentials, HTTPS, a method
    style and a number of entries per request it can use."""
    if not (octopus_settings.configured and settings.SYNC_ENABLED and octopus_settings.ENABLED):
        return []
    messages: list[CheckMessage] = []
    session = all((octopus_settings.DATABASE, octopus_settings.UID, octopus_settings.PASSWORD))
    if not (octopus_settings.TOKEN or session):
        messages.append(
            _error(
                "E006",
                "OCTOPUS has neither a TOKEN nor a DATABASE, UID and PASSWORD.",
                "Set a personal access token, or the database and the user's credentials "
                "(OCTOPUS_TOKEN, OCTOPUS_PASSWORD... in the environment).",
            )
        )
    url = str(octopus_settings.BASE_URL)
    secure = urlsplit(url).scheme == "https" or django_settings.DEBUG
    if not (secure or octopus_settings.ALLOW_INSECURE):
        messages.append(
            _error(
                "E007",
                f'OCTOPUS["BASE_URL"] is not an HTTPS URL ({url!r}) and DEBUG is off.',
                'Use https://; for a local test server, set OCTOPUS["ALLOW_INSECURE"] = True.',
            )
        )
    if octopus_settings.METHOD_STYLE not in ("current", "entity"):
        messages.append(
            _error(
                "E008",
                f'OCTOPUS["METHOD_STYLE"] is {octopus_settings.METHOD_STYLE!r}.',
                'Use "current" (Create, Read...) or "entity" (AbEntryCreate, AbEntryRead...).',
            )
        )
    per_request = octopus_settings.ENTRIES_PER_REQUEST
    if not (
        isinstance(per_request, int) and not isinstance(per_request, bool) and per_request >= 1
    ):
        messages.append(
            _error(
                "E009",
                f'OCTOPUS["ENTRIES_PER_REQUEST"] must be a whole number of 1 or more, '
                f"got {per_request!r}.",
                "Use 50 (the default), or 1 to send one entry per request.",
            )
        )
    return messages


@register(Tags.database)
def check_alarms(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W003: an open alarm (Octy refused the keys...) stops every push until resolved."""
    from .models import SyncAlarm

    alarm = read_database(SyncAlarm.objects.filter(resolved_at__isnull=True).first, **kwargs)
    if alarm is None:
        return []
    return [
        _warning(
            "W003",
            f"Syncing to Octy is stopped: {alarm}",
            "Fix the cause (octy_check says what Octy answers); the next push that "
            "goes through resolves the alarm.",
        )
    ]


def read_database(query: Callable[[], T], **kwargs: Any) -> T | None:
    """``query()`` for a database check: ``None`` unless asked for the default database, or
    before the first migrate (when the tables do not exist)."""
    if "default" not in (kwargs.get("databases") or []):
        return None
    try:
        with transaction.atomic():
            return query()
    except DatabaseError:
        return None


@register(Tags.database)
def check_waiting_entries(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W004: Octopus entries wait to be pushed, but no Octopus is configured."""
    from .models import OUTSTANDING_STATES, OctopusEntry

    if octopus_settings.configured:
        return []
    waiting = OctopusEntry.objects.filter(state__in=OUTSTANDING_STATES).exists
    if not read_database(waiting, **kwargs):
        return []
    return [
        _warning(
            "W004",
            'Octopus entries are waiting to be pushed, but OCTOPUS["BASE_URL"] is not set.',
            "Configure the OCTOPUS settings (docs/octopus.md), or unregister the "
            "OctopusEntrySources whose entries should not go to a CRM.",
        )
    ]
