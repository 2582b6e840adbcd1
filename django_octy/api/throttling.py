"""Throttling per visitor (a user or an anonymous session), not per IP address."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from ..conf import settings
from .visitors import visitor_key


class VisitorRateThrottle(SimpleRateThrottle):
    """At most ``OCTY["EVENT_THROTTLE_RATE"]`` (``"120/min"``) requests per visitor."""

    scope = "octy_events"

    def get_rate(self) -> str | None:
        rate: str | None = settings.EVENT_THROTTLE_RATE
        return rate

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": visitor_key(request)}
