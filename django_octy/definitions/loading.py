"""Reading definition documents into plain declarations, with errors naming the field.

A document is a mapping with a ``kind`` and a list (or, for the account, a
mapping) under the kind's key; its keys are camelCase as Octy's command-line
client writes them, and become the snake_case fields Octy's API uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..models import Entity

JSON = dict[str, Any]
Check = Callable[[Any], Any]


class DefinitionError(ValueError):
    """A definition document is not valid: the message names the file, object and field."""


class Problem(ValueError):
    """A value is not valid (the caller adds where it was)."""


def text(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise Problem(f"must be text, got {type(value).__name__}")
    return str(value)


def optional_text(value: Any) -> str:
    return "" if value is None else text(value)


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Problem(f"must be a whole number, got {value!r}")
    return value


def optional_integer(value: Any) -> int | None:
    return None if value is None else integer(value)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Problem(f"must be true or false, got {value!r}")
    return value


def texts(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Problem(f"must be a list, got {type(value).__name__}")
    return [text(item) for item in value]


def mapping(value: Any) -> JSON:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Problem(f"must be a mapping, got {type(value).__name__}")
    return {str(key): item for key, item in value.items()}


def text_mapping(value: Any) -> JSON:
    return {key: optional_text(item) for key, item in mapping(value).items()}


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str:
        if value not in choices:
            raise Problem(f"must be one of {', '.join(choices)}, got {value!r}")
        return str(value)

    return check


@dataclass(frozen=True)
class Shape:
    """The keys one kind of object may have: ``{yamlKey: (api_field, check)}``.

    A missing key gets the check's value for ``None`` (an empty default), or,
    when ``partial``, is left out: what is not declared is not changed.
    """

    fields: Mapping[str, tuple[str, Check]]
    required: frozenset[str] = frozenset()
    partial: bool = False

    def read(self, obj: Any) -> JSON:
        if not isinstance(obj, dict):
            raise Problem(f"must be a mapping, got {type(obj).__name__}")
        unknown = sorted(set(obj) - set(self.fields))
        if unknown:
            raise Problem(f"unknown key {unknown[0]!r} (known: {', '.join(self.fields)})")
        values = {}
        for key, (name, check) in self.fields.items():
            if obj.get(key) is None and key in self.required:
                raise Problem(f"{key!r} is required")
            if key not in obj and self.partial:
                continue
            try:
                values[name] = check(obj.get(key))
            except Problem as problem:
                raise Problem(f"field {key!r} {problem}") from None
        return values


def steps(value: Any) -> list[JSON]:
    if not isinstance(value, list) or not value:
        raise Problem("must be a non-empty list of steps")
    found = []
    for position, step in enumerate(value, 1):
        try:
            read = STEP.read(step)
        except Problem as problem:
            raise Problem(f"step {position}: {problem}") from None
        if not read["event_properties"]:
            del read["event_properties"]
        found.append(read)
    return found


STEP = Shape(
    {
        "eventType": ("event_type", text),
        "expTimeframe": ("exp_timeframe", integer),
        "actionInaction": ("action_inaction", one_of("action", "inaction")),
        "eventProperties": ("event_properties", mapping),
    },
    frozenset({"eventType", "expTimeframe", "actionInaction"}),
)


@dataclass(frozen=True)
class Kind:
    """One ``kind:`` of document: where its objects are and what they look like."""

    name: str
    key: str
    shape: Shape
    entity: Entity | None = None
    label: str = ""
    many: bool = True


KINDS = {
    kind.name: kind
    for kind in (
        Kind(
            "eventTypes",
            "eventTypeDefinitions",
            Shape(
                {
                    "eventType": ("event_type", text),
                    "eventProperties": ("event_properties", texts),
                },
                frozenset({"eventType"}),
            ),
            Entity.EVENT_TYPE,
            "event type",
        ),
        Kind(
            "segments",
            "segmentDefinitions",
            Shape(
                {
                    "segmentName": ("segment_name", text),
                    "segmentType": ("segment_type", one_of("live", "past")),
                    "segmentSubtype": ("segment_sub_type", optional_integer),
                    "segmentTimeframe": ("segment_timeframe", optional_integer),
                    "eventSequence": ("event_sequence", steps),
                    "profilePropertyName": ("profile_property_name", optional_text),
                    "profilePropertyValue": ("profile_property_value", optional_text),
                },
                frozenset({"segmentName", "segmentType", "eventSequence"}),
            ),
            Entity.SEGMENT,
            "segment",
        ),
        Kind(
            "templates",
            "templateDefinitions",
            Shape(
                {
                    "friendlyName": ("friendly_name", text),
                    "templateType": ("template_type", text),
                    "title": ("title", optional_text),
                    "content": ("content", text),
                    "requiredData": ("required_data", texts),
                    "defaultValues": ("default_values", text_mapping),
                    "metadata": ("metadata", mapping),
                    "templateID": ("template_id", optional_text),
                },
                frozenset({"friendlyName", "templateType", "content"}),
            ),
            Entity.TEMPLATE,
            "template",
        ),
        Kind(
            "accountConfigurations",
            "configurations",
            Shape(
                {
                    "contactName": ("contact_name", optional_text),
                    "contactSurname": ("contact_surname", optional_text),
                    "contactEmail": ("contact_email_address", optional_text),
                    "webhookURL": ("webhook_url", optional_text),
                    "authenticatedIDKey": ("authenticated_id_key", optional_text),
                },
                partial=True,
            ),
            label="account configuration",
            many=False,
        ),
        Kind(
            "algorithmConfigurations",
            "configurations",
            Shape(
                {
                    "algorithmName": ("algorithm_name", one_of("churn", "rec")),
                    "configurations": ("configurations", mapping),
                },
                frozenset({"algorithmName", "configurations"}),
            ),
            label="algorithm configuration",
        ),
    )
}

ALGORITHM_SETTINGS = Shape(
    {
        "profileFeatures": ("profile_features", texts),
        "recommendInteractedItems": ("recommend_interacted_items", boolean),
        "itemIDStopList": ("item_id_stop_list", texts),
    },
    partial=True,
)


@dataclass(frozen=True)
class Declared:
    """One declared object: its kind, its API fields, and where it was declared."""

    kind: Kind
    values: JSON
    origin: str = field(compare=False)


def read_document(document: Any, origin: str) -> list[Declared]:
    """The objects of one document (``origin`` names it in errors)."""
    if not isinstance(document, dict) or document.get("kind") not in KINDS:
        kinds = ", ".join(KINDS)
        found = document.get("kind") if isinstance(document, dict) else None
        raise DefinitionError(f"{origin}: 'kind' must be one of {kinds}, got {found!r}")
    kind = KINDS[document["kind"]]
    objects = document.get(kind.key)
    if not kind.many:
        objects = [objects]
    elif not isinstance(objects, list):
        raise DefinitionError(f"{origin}: {kind.key!r} must be a list")
    declared = []
    for position, obj in enumerate(objects, 1):
        where = f"{origin}: {kind.label} #{position}"
        try:
            values = kind.shape.read(obj)
            if kind.name == "algorithmConfigurations":
                values["configurations"] = ALGORITHM_SETTINGS.read(values["configurations"])
        except Problem as problem:
            raise DefinitionError(f"{where}: {problem}") from None
        declared.append(Declared(kind, values, where))
    return declared


def load_file(path: str | Path) -> list[Declared]:
    """Every object declared in a YAML file (one or more documents)."""
    path = Path(path)
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise DefinitionError(f"{path}: cannot be read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise DefinitionError(f"{path}: not valid YAML: {error}") from error
    return [
        obj
        for number, document in enumerate(documents, 1)
        if document is not None
        for obj in read_document(document, str(path) if len(documents) == 1 else f"{path}#{number}")
    ]


def load(sources: Iterable[str | Path | Mapping[str, Any]]) -> list[Declared]:
    """Declarations from files and in-memory documents (as ``OCTY["DEFINITIONS"]`` holds)."""
    declared: list[Declared] = []
    for position, source in enumerate(sources, 1):
        if isinstance(source, Mapping):
            declared += read_document(dict(source), f"OCTY['DEFINITIONS'][{position - 1}]")
        else:
            declared += load_file(source)
    return declared
