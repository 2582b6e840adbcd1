"""The ``OCTY`` settings namespace, read lazily at call time.

Every key has a default here; ``settings.OCTY`` (a dict) overrides them, and the
keys and base URL may also come from the environment (``OCTY_PUBLIC_KEY``,
``OCTY_SECRET_KEY``, ``OCTY_BASE_URL``). Reading happens on each attribute
access so that ``override_settings`` works in tests.
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
    "FLUSH_DELAY": 1.0,
    "SYNC_ENABLED": True,
    "CELERY_QUEUE": None,
    "MAX_ATTEMPTS": 10,
    "LEASE_SECONDS": 300,
    "BACKOFF_BASE": 5.0,
    "BACKOFF_MAX": 3600.0,
    "WEBHOOK_SECRET": "",
    "CACHE_TTL": 300,
    "CACHE_ALIAS": "default",
    "DEFINITIONS": [],
    "EVENT_THROTTLE_RATE": "120/min",
    "VISITOR_RESOLVER": "django_octy.api.visitors.authenticated_user",
}

ENVIRONMENT_KEYS = {
    "PUBLIC_KEY": "OCTY_PUBLIC_KEY",
    "SECRET_KEY": "OCTY_SECRET_KEY",
    "BASE_URL": "OCTY_BASE_URL",
}


class OctySettings:
    """Attribute access to the effective ``OCTY`` settings."""

    def user_settings(self) -> dict[str, Any]:
        return dict(getattr(django_settings, "OCTY", {}) or {})

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown OCTY setting: {name!r}")
        configured = self.user_settings()
        if name in configured:
            return configured[name]
        env_name = ENVIRONMENT_KEYS.get(name)
        if env_name and os.environ.get(env_name):
            return os.environ[env_name]
        return DEFAULTS[name]

    def as_dict(self) -> dict[str, Any]:
        """Every effective setting; the secrets masked, for display."""
        values = {name: getattr(self, name) for name in DEFAULTS}
        for secret in ("SECRET_KEY", "WEBHOOK_SECRET"):
            values[secret] = mask(values[secret])
        return values


def mask(secret: str) -> str:
    """Show that a secret is set without showing it."""
    return "********" if secret else ""


settings = OctySettings()
