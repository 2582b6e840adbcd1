"""Octy as a target: the ``OCTY`` settings, its batch handlers, and its errors."""

from __future__ import annotations

from ...client import OctyAuthError, OctyClient, OctyConfigurationError, OctyError
from ...client.batching import MAX_BATCH_SIZE
from ...conf import settings
from ...connection import get_client
from ...keycheck import record_push
from ...models import AlarmKind, Entity, Operation
from ..handlers.octy import HANDLERS, rejected
from ..outcomes import Rejected
from ..recording import declare_event_types
from . import Target


class OctyTarget(Target):
    name = "octy"
    label = "Octy"
    entities = (
        Entity.EVENT_TYPE,
        Entity.PROFILE,
        Entity.ITEM,
        Entity.EVENT,
        Entity.SEGMENT,
        Entity.TEMPLATE,
    )
    auth_alarm = AlarmKind.AUTH
    configuration_alarm = AlarmKind.CONFIGURATION
    error_class = OctyError
    auth_error_class = OctyAuthError
    configuration_error_class = OctyConfigurationError
    handler_classes = HANDLERS

    def enabled(self) -> bool:
        return bool(settings.SYNC_ENABLED)

    def batch_size(self) -> int:
        return max(1, min(int(settings.BATCH_SIZE), MAX_BATCH_SIZE))

    def prepare(self) -> None:
        declare_event_types()

    def credentials_answered(self, accepted: bool, reason: str = "") -> None:
        record_push(accepted, reason)  # the dashboard's key status, without a check of its own

    def timeout(self) -> float | tuple[float, float]:
        return settings.TIMEOUT  # type: ignore[no-any-return]

    def make_client(self) -> OctyClient:
        return get_client()

    def rejected(self, operation: Operation, error: Exception) -> Rejected:
        return rejected(operation, error)
