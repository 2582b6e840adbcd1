"""``Retry-After`` holds shared by every worker process, through Django's cache.

The client keeps a hold in its process; the sync engine's clients also write
it to the cache named by ``OCTY["CACHE_ALIAS"]``, so that a 429 answered to
one Celery worker process holds back the others. Share it only if that cache
is shared (Redis, Memcached, the database cache): a local-memory cache keeps
holds per process, as without it.
"""

from __future__ import annotations

import logging

from django.core.cache import caches

from .client.retrying import RetryAfterHolds
from .conf import settings

logger = logging.getLogger(__name__)


class CacheHoldStore:
    """A :class:`~django_octy.http.retrying.HoldStore` over one Django cache."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def get(self, key: str) -> float | None:
        try:
            until = caches[self.alias].get(f"django_octy:{key}")
        except Exception:  # a cache that is down must not stop the push
            logger.warning("Could not read a Retry-After hold from the cache", exc_info=True)
            return None
        return float(until) if isinstance(until, int | float) else None

    def set(self, key: str, until: float, seconds: float) -> None:
        try:
            caches[self.alias].set(f"django_octy:{key}", until, timeout=int(seconds) + 1)
        except Exception:  # the process still honours its own hold
            logger.warning("Could not share a Retry-After hold through the cache", exc_info=True)


_holds: dict[str, RetryAfterHolds] = {}


def shared_holds() -> RetryAfterHolds:
    """The holds of this process's clients, shared through the configured cache."""
    alias = str(settings.CACHE_ALIAS)
    if alias not in _holds:
        _holds[alias] = RetryAfterHolds(shared=CacheHoldStore(alias))
    return _holds[alias]
