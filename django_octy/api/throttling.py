"""Throttling per visitor: a user, an anonymous session, else the client's address.

A client that keeps no cookies gets a new session on every request, so it is
throttled by its address (see :mod:`django_octy.api.addresses`), and the
anonymous visitors (each a profile in Octy) one address may create are
limited on their own.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from ..conf import settings
from .addresses import client_address
from .visitors import is_new_anonymous, visitor_key


class VisitorRateThrottle(SimpleRateThrottle):
    """At most ``OCTY["EVENT_THROTTLE_RATE"]`` (``"120/min"``) requests per visitor."""

    scope = "octy_events"

    def get_rate(self) -> str | None:
        rate: str | None = settings.EVENT_THROTTLE_RATE
        return rate

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": visitor_key(request)}


class AnonymousProfileThrottle(SimpleRateThrottle):
    """At most ``OCTY["ANONYMOUS_PROFILE_RATE"]`` (``"60/hour"``) new anonymous visitors
    per client address; requests of known visitors are not counted."""

    scope = "octy_new_visitors"

    def get_rate(self) -> str | None:
        rate: str | None = settings.ANONYMOUS_PROFILE_RATE
        return rate

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not is_new_anonymous(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class ReadRateThrottle(VisitorRateThrottle):
    """At most ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["octy_reads"]`` reads per visitor.

    A read the cache cannot answer calls Octy, whose rate limit the whole site shares.
    """

    scope = "octy_reads"
    default_rate = "300/min"

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope, self.default_rate)
        return None if rate is None else str(rate)
