"""The Octy admin: mirror rows with their sync state, the error and push logs, alarms,
bulk actions that queue work for Celery, and a dashboard (listed as "Sync dashboard").

Nothing here calls Octy during a request, and nothing shows the secret key.
"""

from . import dashboard, logs, mirrors
from .inlines import (
    EventSyncInline,
    ItemSyncInline,
    OctySyncInline,
    ProfileSyncInline,
    octy_sync_inlines,
)

__all__ = [
    "EventSyncInline",
    "ItemSyncInline",
    "OctySyncInline",
    "ProfileSyncInline",
    "dashboard",
    "logs",
    "mirrors",
    "octy_sync_inlines",
]
