"""The Octy client the sync engine uses, built from the ``OCTY`` settings."""

from __future__ import annotations

from .client import OctyClient
from .conf import settings


def get_client() -> OctyClient:
    """A new client for the configured account (raises ``OctyConfigurationError`` if unusable).

    The caller closes it (``with get_client() as client: ...``).
    """
    return OctyClient(
        settings.PUBLIC_KEY,
        settings.SECRET_KEY,
        base_url=settings.BASE_URL,
        timeout=settings.TIMEOUT,
        max_retries=settings.MAX_RETRIES,
        requests_per_minute=settings.REQUESTS_PER_MINUTE,
        allow_insecure=settings.ALLOW_INSECURE_BASE_URL,
    )
