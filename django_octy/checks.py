"""System checks (``manage.py check``): settings that cannot work, caught at start-up.

Every id is stable and documented in ``docs/checks.md``. The checks that read the
database are tagged ``database`` (Django runs them on ``migrate`` and with
``check --database``) and stay silent when the tables do not exist yet.
"""

from __future__ import annotations

import logging
import sys
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

logger = logging.getLogger(__name__)

MISSING_KEYS_WARNING = "django_octy.W007"

T = TypeVar("T")


def _error(id: str, msg: str, hint: str) -> Error:
    return Error(msg, hint=f"{hint} {DOCS}", id=f"django_octy.{id}")


def _warning(id: str, msg: str, hint: str) -> Warning:
    return Warning(msg, hint=f"{hint} {DOCS}", id=f"django_octy.{id}")


@register("django_octy")
def check_keys(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E001/E002 where the keys are needed now; W007 where they are not (yet).

    ``runserver`` needs them (so does a Celery worker, which refuses to start on
    its own: :func:`refuse_to_work_without_keys`). ``migrate``, ``collectstatic``,
    ``check`` and the rest run in Docker builds and CI jobs that have no secrets:
    there, missing keys are a warning, not an exit status of 1.
    """
    errors = key_errors()
    if not errors or serves_requests():
        return errors
    missing = " and ".join(f'OCTY["{key}"]' for key in missing_keys())
    return [
        _warning(
            MISSING_KEYS_WARNING.removeprefix("django_octy."),
            f"Octy keys missing ({missing}): changes are recorded, but nothing reaches Octy.",
            "Set them (or OCTY_PUBLIC_KEY and OCTY_SECRET_KEY in the environment) where "
            "runserver and the Celery worker run: both refuse to start without them.",
        )
    ]


def missing_keys() -> list[str]:
    """The keys syncing needs but the settings lack (none while syncing is turned off)."""
    if not settings.SYNC_ENABLED:
        return []
    return [key for key in ("PUBLIC_KEY", "SECRET_KEY") if not getattr(settings, key)]


def key_errors() -> list[CheckMessage]:
    """E001/E002: both keys are needed for every request (unless syncing is turned off)."""
    ids = {"PUBLIC_KEY": "E001", "SECRET_KEY": "E002"}
    return [
        _error(
            ids[key],
            f'OCTY["{key}"] is not set.',
            f"Set it in settings.OCTY or the OCTY_{key} environment variable.",
        )
        for key in missing_keys()
    ]


def serves_requests() -> bool:
    """Whether this process is ``manage.py runserver`` (Django tells a check nothing else
    about the command that runs it)."""
    return sys.argv[1:2] == ["runserver"]


def refuse_to_work_without_keys(**kwargs: Any) -> None:
    """Celery's ``worker_init``: a worker with syncing on and no keys would stop every
    flush, so it does not start. (Celery logs and ignores a receiver's exception, but
    not ``SystemExit``.)"""
    errors = key_errors()
    if errors:
        reasons = " ".join(f"{error.id}: {error.msg} {error.hint}" for error in errors)
        logger.critical("The Celery worker refuses to start: %s", reasons)
        raise SystemExit(f"django-octy: the Celery worker refuses to start. {reasons}")


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
def check_front_end(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E009/W006: the front-end API's trusted proxies and allow-list of event types."""
    from django.core.exceptions import ImproperlyConfigured

    from .api.addresses import trusted_networks
    from .api.allowlist import SERVER_ONLY

    messages: list[CheckMessage] = []
    try:
        trusted_networks()
    except ImproperlyConfigured as error:
        hint = 'List addresses or networks, such as ["10.0.0.0/8", "192.0.2.7"].'
        messages.append(_error("E009", str(error), hint))
    listed = set(settings.FRONTEND_EVENT_TYPES or ())
    for event_type in sorted(listed & SERVER_ONLY):
        messages.append(
            _warning(
                "W006",
                f'OCTY["FRONTEND_EVENT_TYPES"] lists {event_type!r}, which the front end may '
                "never post: it is refused anyway.",
                "Record purchases on the server (an EventSource on your orders) and remove it.",
            )
        )
    return messages


@register("django_octy")
def check_lease(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E010: a lease must leave a push the time of one request and of its write-back."""
    from .sync.flush import WRITE_BACK_SHARE
    from .sync.targets import all_targets

    lease = settings.LEASE_SECONDS
    try:
        push_time = float(lease) * (1 - WRITE_BACK_SHARE)
        short = [t for t in all_targets() if t.enabled() and push_time <= t.longest_request()]
    except (TypeError, ValueError):
        return []  # the client reports timeouts it cannot use
    return [
        _error(
            "E010",
            f'OCTY["LEASE_SECONDS"] ({lease}) leaves no time to push to {target.label}: one '
            f"request may last {target.longest_request():g} s (its connect and read timeouts).",
            "A push must end inside its lease; raise LEASE_SECONDS (default 300) well above "
            "twice the TIMEOUT setting, or lower TIMEOUT.",
        )
        for target in short
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
def check_profile_sources(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W005: a profile source that maps no ``profile_data`` (Octy refuses an empty one)."""
    from .models import DEFAULT_PLATFORM_INFO
    from .sync.registry import registry
    from .sync.sources import ProfileSource

    return [
        _warning(
            "W005",
            f"{source!r} declares no profile_data_fields and does not override profile_data(): "
            f"its profiles have no profile_data, which Octy refuses, and are sent with "
            f"{DEFAULT_PLATFORM_INFO!r} instead.",
            "Name the host fields Octy should know in profile_data_fields, or override "
            "profile_data() to return at least one key/value pair.",
        )
        for source in registry.all()
        if isinstance(source, ProfileSource)
        and not source.profile_data_fields
        and type(source).profile_data is ProfileSource.profile_data
    ]


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
    """E006-E008, E011: an Octopus target that is switched on needs credentials, HTTPS, a method
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
                "E011",
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
    """W003: an open alarm (Octy refused the keys...) stops every push until resolved.

    A configuration alarm whose settings have been fixed since is resolved first.
    """
    from .models import SyncAlarm
    from .sync.alarms import resolve_fixed_configurations

    read_database(resolve_fixed_configurations, **kwargs)
    alarm = read_database(SyncAlarm.objects.filter(resolved_at__isnull=True).first, **kwargs)
    if alarm is None:
        return []
    return [
        _warning(
            "W003",
            f"Syncing to Octy is stopped: {alarm}",
            "Fix the cause (octy_check says what Octy answers). A configuration alarm "
            "clears once the settings work; refused keys at the next push that goes through.",
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
    """W004: Octopus entries wait to be pushed, or host changes to be mapped into entries,
    but no Octopus is configured."""
    if octopus_settings.configured:
        return []
    if not read_database(octopus_work_waits, **kwargs):
        return []
    return [
        _warning(
            "W004",
            'Octopus entries are waiting to be pushed, but OCTOPUS["BASE_URL"] is not set.',
            "Configure the OCTOPUS settings (docs/octopus.md), or unregister the "
            "OctopusEntrySources whose entries should not go to a CRM.",
        )
    ]


def octopus_work_waits() -> bool:
    """Whether an Octopus entry is outstanding, or a change of a host object that an
    ``OctopusEntrySource`` maps waits in the change log (it makes one at the next flush)."""
    from .models import Entity, OctopusEntry
    from .sync.pending import outstanding, waiting_changes

    return outstanding(OctopusEntry).exists() or waiting_changes(Entity.OCTOPUS_ENTRY).exists()
