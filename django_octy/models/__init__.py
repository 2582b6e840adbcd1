"""Mirror models (local copies of Octy and Octopus objects) and the sync bookkeeping."""

from .base import BOOKKEEPING_FIELDS, OUTSTANDING_STATES, SyncedObject, SyncState
from .entity import MODEL_NAMES, Entity
from .erasure import Erasure
from .event import Event
from .event_type import EventType
from .host_change import HostChange
from .item import Item
from .message_template import MessageTemplate
from .octopus_entry import PARENT_TYPES, EntryType, OctopusEntry
from .profile import DEFAULT_PLATFORM_INFO, Profile, filled
from .push_log import PushLog
from .replacement import Replacement
from .segment import Segment, SegmentType
from .sync_alarm import AlarmKind, SyncAlarm
from .sync_dashboard import SyncDashboard
from .sync_error import Operation, SyncError
from .webhook_delivery import DeliveryStatus, WebhookDelivery

__all__ = [
    "BOOKKEEPING_FIELDS",
    "DEFAULT_PLATFORM_INFO",
    "MODEL_NAMES",
    "OUTSTANDING_STATES",
    "PARENT_TYPES",
    "AlarmKind",
    "DeliveryStatus",
    "Entity",
    "EntryType",
    "Erasure",
    "Event",
    "EventType",
    "HostChange",
    "Item",
    "MessageTemplate",
    "OctopusEntry",
    "Operation",
    "Profile",
    "PushLog",
    "Replacement",
    "Segment",
    "SegmentType",
    "SyncAlarm",
    "SyncDashboard",
    "SyncError",
    "SyncState",
    "SyncedObject",
    "WebhookDelivery",
    "filled",
]
