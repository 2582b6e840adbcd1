"""A plain Python client for the Octy API (no Django needed).

from django_octy.client import OctyClient

with OctyClient("pk_...", "sk_...") as octy:
    result = octy.create_profiles([{"customer_id": "c1", "has_charged": False}])
"""

from .client import OctyClient
from .errors import (
    OctyAPIError,
    OctyAuthError,
    OctyBadRequest,
    OctyConfigurationError,
    OctyError,
    OctyNotFound,
    OctyPayloadTooLarge,
    OctyRateLimited,
    OctyServerError,
    OctyTransportError,
    OctyUnreadableAnswer,
)
from .ratelimit import RateLimiter
from .results import BatchResult, FailedObject, Recommendations

__all__ = [
    "BatchResult",
    "FailedObject",
    "OctyAPIError",
    "OctyAuthError",
    "OctyBadRequest",
    "OctyClient",
    "OctyConfigurationError",
    "OctyError",
    "OctyNotFound",
    "OctyPayloadTooLarge",
    "OctyRateLimited",
    "OctyServerError",
    "OctyTransportError",
    "OctyUnreadableAnswer",
    "RateLimiter",
    "Recommendations",
]
