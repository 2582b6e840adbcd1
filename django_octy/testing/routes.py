"""Every Octy endpoint the fake serves, by path then method."""

from __future__ import annotations

from .call import Route
from .resources import (
    account,
    churn,
    event_types,
    events,
    identity,
    items,
    messages,
    profiles,
    recommendations,
    segments,
    templates,
)

ALL_ROUTES = [
    *profiles.ROUTES,
    *identity.ROUTES,
    *items.ROUTES,
    *events.ROUTES,
    *event_types.ROUTES,
    *segments.ROUTES,
    *templates.ROUTES,
    *recommendations.ROUTES,
    *messages.ROUTES,
    *churn.ROUTES,
    *account.ROUTES,
]

ROUTES: dict[str, dict[str, Route]] = {}
for _route in ALL_ROUTES:
    ROUTES.setdefault(_route.path, {})[_route.method] = _route
