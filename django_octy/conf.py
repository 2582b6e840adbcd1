"""The ``OCTY`` and ``OCTOPUS`` settings namespaces, read lazily at call time.

Every key has a default here; ``settings.OCTY`` (a dict) overrides them, and the
keys and base URL may also come from the environment (``OCTY_PUBLIC_KEY``,
``OCTY_SECRET_KEY``, ``OCTY_BASE_URL``). ``settings.OCTOPUS`` configures the
Octopus (Maximizer CRM) target the same way, with ``OCTOPUS_*`` environment
variables. Reading happens on each attribute access so that
``override_settings`` works in tests.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings as django_settings

DEFAULTS: dict[str, Any] = {
    "PUBLIC_KEY": "",
    "SECRET_KEY": "",
    "BASE_URL": "https://api.octy.ai",
    "ALLOW_INSECURE_BASE_URL": False,
    "BATCH_SIZE": 500,
    "TIMEOUT": 30.0,
    "MAX_RETRIES": 3,
    "REQUESTS_PER_MINUTE": None,
    "RESYNC_CONCURRENCY": 10,
    "FLUSH_DELAY": 1.0,
    "FLUSH_MAX_WAIT": 1.5,
    "SYNC_ENABLED": True,
    "CELERY_QUEUE": None,
    "MAX_ATTEMPTS": 10,
    "LEASE_SECONDS": 300,
    "RECONCILE_WINDOW": 86400,
    "BACKOFF_BASE": 5.0,
    "BACKOFF_MAX": 3600.0,
    "WEBHOOK_SECRET": "",
    "WEBHOOK_MAX_BYTES": 1_048_576,
    "WEBHOOK_REPEAT_WINDOW": 300,
    "CACHE_TTL": 300,
    "CACHE_ALIAS": "default",
    "DEFINITIONS": [],
    "EVENT_THROTTLE_RATE": "120/min",
    "ANONYMOUS_PROFILE_RATE": "60/hour",
    "FRONTEND_EVENT_TYPES": None,
    "TRUSTED_PROXIES": [],
    "PUSH_LOG_RETENTION_DAYS": 30,
    "SYNC_ERROR_RETENTION_DAYS": 90,
    "WEBHOOK_RETENTION_DAYS": 90,
    "EVENT_RETENTION_DAYS": 90,
    "PRUNE_BATCH_SIZE": 1000,
    "VISITOR_RESOLVER": "django_octy.api.visitors.authenticated_user",
    "METRICS_TOKEN": "",
    "HEALTH_MAX_PENDING_AGE": 3600.0,
}

ENVIRONMENT_KEYS = {
    "PUBLIC_KEY": "OCTY_PUBLIC_KEY",
    "SECRET_KEY": "OCTY_SECRET_KEY",
    "BASE_URL": "OCTY_BASE_URL",
}


OCTOPUS_DEFAULTS: dict[str, Any] = {
    "BASE_URL": "",
    "TOKEN": "",
    "DATABASE": "",
    "UID": "",
    "PASSWORD": "",
    "VENDOR_ID": "",
    "APP_KEY": "",
    "METHOD_STYLE": "current",
    "TIMEOUT": 10.0,
    "MAX_RETRIES": 5,
    "ALLOW_INSECURE": False,
    "ENABLED": True,
    "BATCH_SIZE": 100,
    "ENTRIES_PER_REQUEST": 50,
    "REFERENCE_FIELD": "",
}

OCTOPUS_ENVIRONMENT_KEYS = {
    name: f"OCTOPUS_{name}"
    for name in ("BASE_URL", "TOKEN", "DATABASE", "UID", "PASSWORD", "VENDOR_ID", "APP_KEY")
}


class Namespace:
    """Attribute access to the effective settings of one namespace (``OCTY``, ``OCTOPUS``)."""

    def __init__(
        self,
        name: str,
        defaults: dict[str, Any],
        environment: dict[str, str],
        secrets: tuple[str, ...],
    ) -> None:
        self.name = name
        self.defaults = defaults
        self.environment = environment
        self.secrets = secrets

    def user_settings(self) -> dict[str, Any]:
        return dict(getattr(django_settings, self.name, {}) or {})

    def __getattr__(self, name: str) -> Any:
        if name not in self.defaults:
            raise AttributeError(f"Unknown {self.name} setting: {name!r}")
        configured = self.user_settings()
        if name in configured:
            return configured[name]
        env_name = self.environment.get(name)
        if env_name and os.environ.get(env_name):
            return os.environ[env_name]
        return self.defaults[name]

    def values(self) -> dict[str, Any]:
        """Every effective setting, secrets included: for building a client, never for display."""
        return {name: getattr(self, name) for name in self.defaults}

    def as_dict(self) -> dict[str, Any]:
        """Every effective setting; the secrets masked, for display."""
        values = self.values()
        for secret in self.secrets:
            values[secret] = mask(values[secret])
        return values


class OctySettings(Namespace):
    """Attribute access to the effective ``OCTY`` settings."""

    def __init__(self) -> None:
        super().__init__(
            "OCTY", DEFAULTS, ENVIRONMENT_KEYS, ("SECRET_KEY", "WEBHOOK_SECRET", "METRICS_TOKEN")
        )


class OctopusSettings(Namespace):
    """Attribute access to the effective ``OCTOPUS`` settings.

    The target is *configured* once a base URL is set (in ``OCTOPUS`` or as
    ``OCTOPUS_BASE_URL``); a project that never names one has no Octopus target.
    """

    def __init__(self) -> None:
        super().__init__(
            "OCTOPUS", OCTOPUS_DEFAULTS, OCTOPUS_ENVIRONMENT_KEYS, ("TOKEN", "PASSWORD", "APP_KEY")
        )

    @property
    def configured(self) -> bool:
        return bool(self.BASE_URL)


def mask(secret: str) -> str:
    """Show that a secret is set without showing it."""
    return "********" if secret else ""


settings = OctySettings()
octopus_settings = OctopusSettings()
