"""Whether Octy accepts the configured keys, checked out of band and remembered.

The admin never calls Octy during a request: it shows the last result kept in
Django's cache and schedules a new check (``django_octy.operator_tasks.check_keys``)
when there is none. ``octy_check`` checks at once and refreshes the cache, and so
does every flush that pushes to Octy: a push that goes through proves the keys
valid, one refused with 401/403 proves them refused.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from .client import OctyAuthError, OctyConfigurationError, OctyError
from .conf import settings
from .connection import get_client

CACHE_KEY = "django_octy:key_check"


@dataclass(frozen=True)
class KeyCheck:
    """The outcome of one authentication against Octy.

    ``valid`` is ``None`` when Octy could not say (unreachable, not configured).
    """

    valid: bool | None
    message: str
    checked_at: datetime
    base_url: str

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "checked_at": self.checked_at.isoformat()}


def check_keys() -> KeyCheck:
    """Ask Octy whether it accepts the keys, remember the answer, and return it."""
    base_url = str(settings.BASE_URL)
    try:
        with get_client() as client:
            client.authenticate()
    except OctyConfigurationError as error:
        result = KeyCheck(
            None, f"The settings cannot reach Octy: {error}", timezone.now(), base_url
        )
    except OctyAuthError as error:
        result = KeyCheck(False, f"Octy refused the keys: {error}", timezone.now(), base_url)
    except OctyError as error:
        result = KeyCheck(None, f"Octy did not answer: {error}", timezone.now(), base_url)
    else:
        result = KeyCheck(True, "Octy accepted the keys.", timezone.now(), base_url)
    return remember(result)


def record_push(accepted: bool, reason: str = "") -> KeyCheck:
    """Remember what a push just proved about the keys, as a check would have."""
    message = (
        "Octy accepted the keys on the last push."
        if accepted
        else f"Octy refused the keys on the last push: {reason}"
    )
    return remember(KeyCheck(accepted, message, timezone.now(), str(settings.BASE_URL)))


def remember(result: KeyCheck) -> KeyCheck:
    cache.set(CACHE_KEY, result, timeout=int(settings.CACHE_TTL))
    return result


def cached_key_check() -> KeyCheck | None:
    """The last check's result for the configured base URL, if still remembered."""
    result = cache.get(CACHE_KEY)
    if isinstance(result, KeyCheck) and result.base_url == str(settings.BASE_URL):
        return result
    return None
