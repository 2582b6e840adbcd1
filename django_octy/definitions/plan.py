"""What applying declarations would change: compared with the mirror and Octy's configurations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from django.apps import apps

from ..client import OctyClient
from ..models import MODEL_NAMES, Entity, SyncedObject, SyncState
from .loading import JSON, Declared, Kind
from .replacement import REPLACED_ON_CHANGE

NATURAL_KEYS = {
    "eventTypes": "event_type",
    "segments": "segment_name",
    "templates": "friendly_name",
}
HINTS = ("template_id",)
"""Declared values that steer applying but are not stored as such."""


class Action(Enum):
    CREATE = "+", "create"
    UPDATE = "~", "update"
    REPLACE = "!", "replace (Octy cannot update it: deleted, then created again)"
    RETRY = "?", "push again (its last push failed)"

    def __init__(self, symbol: str, description: str) -> None:
        self.symbol = symbol
        self.description = description


@dataclass
class Change:
    """One object to create or change; ``row`` is its mirror row (for mirrored kinds)."""

    declared: Declared
    action: Action
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    row: SyncedObject | None = None

    @property
    def name(self) -> str:
        values = self.declared.values
        key = NATURAL_KEYS.get(self.declared.kind.name) or "algorithm_name"
        return str(values.get(key, ""))

    def describe(self) -> str:
        label = self.declared.kind.label
        subject = f"{label} {self.name!r}" if self.name else label
        lines = [f"{self.action.symbol} {subject}: {self.action.description}"]
        lines += [
            f"    {name}: {old!r} -> {new!r}" for name, (old, new) in self.differences.items()
        ]
        return "\n".join(lines)


def model_of(entity: Entity) -> type[SyncedObject]:
    model: type[SyncedObject] = apps.get_model("django_octy", MODEL_NAMES[entity])
    return model


def mirror_model(kind: Kind) -> type[SyncedObject]:
    assert kind.entity is not None
    return model_of(kind.entity)


def differences(current: JSON, wanted: JSON) -> dict[str, tuple[Any, Any]]:
    return {
        name: (current.get(name), value)
        for name, value in wanted.items()
        if name not in HINTS and current.get(name) != value
    }


def mirrored_change(declared: Declared) -> Change | None:
    model = mirror_model(declared.kind)
    key = NATURAL_KEYS[declared.kind.name]
    row = model._default_manager.filter(**{key: declared.values[key]}).first()
    if row is None:
        given = {k: v for k, v in declared.values.items() if v not in ("", [], {}, None)}
        return Change(declared, Action.CREATE, differences({}, given))
    found = differences(vars(row), declared.values)
    if found:
        replace = type(row) in REPLACED_ON_CHANGE and bool(row.octy_id)
        return Change(declared, Action.REPLACE if replace else Action.UPDATE, found, row)
    if row.state == SyncState.FAILED:
        return Change(declared, Action.RETRY, row=row)
    return None


def as_written(configurations: JSON) -> JSON:
    """An algorithm configuration read from Octy, in the shape it is written in.

    A read returns the stop list as ``[{"item_id": ...}]``, a write sends plain ids
    (``Octy-ai/octy-cli``, ``internal/adapters/secondary/rest/models/configs.go``).
    """
    stop_list = configurations.get("item_id_stop_list")
    if not isinstance(stop_list, list):
        return configurations
    ids = [entry.get("item_id") if isinstance(entry, dict) else entry for entry in stop_list]
    return {**configurations, "item_id_stop_list": ids}


def configuration_change(declared: Declared, client: OctyClient) -> Change | None:
    if declared.kind.name == "accountConfigurations":
        found = differences(client.get_account_config(), declared.values)
    else:
        name = declared.values["algorithm_name"]
        current = next(
            (c for c in client.get_algorithm_configs() if c.get("algorithm_name") == name), {}
        )
        found = differences(
            as_written(current.get("configurations") or {}), declared.values["configurations"]
        )
    return Change(declared, Action.UPDATE, found) if found else None


def plan(declarations: Sequence[Declared], client: OctyClient | None) -> list[Change]:
    """The changes applying ``declarations`` makes, in order; nothing for what is up to date.

    ``client`` reads Octy's configurations; it may be ``None`` when none is declared.
    """
    changes = []
    for declared in declarations:
        if declared.kind.entity is not None:
            change = mirrored_change(declared)
        else:
            assert client is not None, "configurations are compared with Octy's"
            change = configuration_change(declared, client)
        if change is not None:
            changes.append(change)
    return changes
