"""The clients the sync engine uses, built from the ``OCTY`` and ``OCTOPUS`` settings."""

from __future__ import annotations

from .client import OctyClient
from .conf import octopus_settings, settings
from .holds import shared_holds
from .octopus import OctopusClient


def get_client() -> OctyClient:
    """A new client for the configured account (raises ``OctyConfigurationError`` if unusable).

    Its ``Retry-After`` holds reach the other worker processes (:mod:`.holds`).

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
        retry_after_holds=shared_holds(),
    )


def get_octopus_client() -> OctopusClient:
    """A new Octopus client from the ``OCTOPUS`` settings (raises
    ``OctopusConfigurationError`` if unusable). The caller closes it."""
    return OctopusClient.from_config(octopus_settings.values())
