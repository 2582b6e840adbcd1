"""Octopus (Maximizer CRM) as a target: the ``OCTOPUS`` settings, its entry handlers, its errors."""

from __future__ import annotations

from ...conf import octopus_settings, settings
from ...connection import get_octopus_client
from ...models import AlarmKind, Entity, Operation
from ...octopus import (
    OctopusAuthError,
    OctopusClient,
    OctopusConfigurationError,
    OctopusError,
)
from ..handlers.octopus import HANDLERS, rejected
from ..outcomes import Rejected
from . import Target


class OctopusTarget(Target):
    """Switched on once ``OCTOPUS["BASE_URL"]`` is set, unless ``OCTOPUS["ENABLED"]`` is off."""

    name = "octopus"
    label = "Octopus"
    entities = (Entity.OCTOPUS_ENTRY,)
    auth_alarm = AlarmKind.OCTOPUS_AUTH
    configuration_alarm = AlarmKind.OCTOPUS_CONFIGURATION
    error_class = OctopusError
    auth_error_class = OctopusAuthError
    configuration_error_class = OctopusConfigurationError
    handler_classes = HANDLERS

    def configured(self) -> bool:
        return bool(octopus_settings.configured)

    def enabled(self) -> bool:
        return bool(
            settings.SYNC_ENABLED and octopus_settings.configured and octopus_settings.ENABLED
        )

    def batch_size(self) -> int:
        return max(1, int(octopus_settings.BATCH_SIZE))

    def timeout(self) -> float | tuple[float, float]:
        return octopus_settings.TIMEOUT  # type: ignore[no-any-return]

    def make_client(self) -> OctopusClient:
        return get_octopus_client()

    def rejected(self, operation: Operation, error: Exception) -> Rejected:
        assert isinstance(error, OctopusError)
        return rejected(operation, error)
