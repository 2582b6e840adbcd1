"""Which event types the front end may post to ``events/``.

``OCTY["FRONTEND_EVENT_TYPES"]`` lists them. Left at ``None``, the front end
may post every declared type that no :class:`~django_octy.sync.sources.EventSource`
records: what the server records itself (a purchase, from a paid order) is
never left to the visitor's browser to claim. ``charged``, Octy's purchase
event that drives RFM scores and recommendations, is refused whatever the
setting says.
"""

from __future__ import annotations

from ..conf import settings
from ..sync.registry import registry
from ..sync.sources import EventSource

SERVER_ONLY = frozenset({"charged"})
"""Types only the server may record, even when listed."""


def recorded_by_sources() -> set[str]:
    """The event types the registered event sources record."""
    return {
        source.event_type
        for source in registry.all()
        if isinstance(source, EventSource) and getattr(source, "event_type", None)
    }


def frontend_may_post(event_type: str) -> bool:
    if event_type in SERVER_ONLY:
        return False
    listed = settings.FRONTEND_EVENT_TYPES
    if listed is None:
        return event_type not in recorded_by_sources()
    return event_type in listed
