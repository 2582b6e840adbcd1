"""Per-object field checks: required fields, JSON types, unknown fields.

A failed check raises :class:`ObjectRejected`, whose message names the
object kind and the field; batch handlers turn it into a ``failed_to_*`` entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class ObjectRejected(Exception):
    """One object of a batch is refused; the message is Octy's ``error_message``."""


JSON_TYPE_NAMES: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}


# What an event property or a message placeholder value may be.
SCALAR_TYPES = (str, int, float, bool)


def json_type_name(value: Any) -> str:
    return JSON_TYPE_NAMES.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Kind:
    """What a field accepts, and how to say so in an error message."""

    description: str
    accepts: Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


IDENTIFIER = Kind("a non-empty string", lambda v: isinstance(v, str) and v != "")
TEXT = Kind("a string", lambda v: isinstance(v, str))
INTEGER = Kind("an integer", _is_int)
BOOLEAN = Kind("a boolean", lambda v: isinstance(v, bool))
OBJECT = Kind("an object", lambda v: isinstance(v, dict))
FILLED_OBJECT = Kind(
    "an object with at least one key/value pair", lambda v: isinstance(v, dict) and v != {}
)
STRINGS = Kind(
    "an array of strings", lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v)
)
OBJECTS = Kind(
    "a non-empty array of objects",
    lambda v: isinstance(v, list) and v != [] and all(isinstance(o, dict) for o in v),
)
STRING_MAP = Kind(
    "an object of strings",
    lambda v: isinstance(v, dict) and all(isinstance(s, str) for s in v.values()),
)


def one_of(*choices: str) -> Kind:
    return Kind("one of " + ", ".join(repr(c) for c in choices), lambda v: v in choices)


@dataclass(frozen=True)
class Schema:
    """The fields one kind of object may carry (``None`` counts as absent)."""

    name: str
    required: Mapping[str, Kind]
    optional: Mapping[str, Kind] = field(default_factory=dict)

    def check(self, obj: Any) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise ObjectRejected(f"Each {self.name} must be an object, got {json_type_name(obj)}")
        unknown = sorted(set(obj) - set(self.required) - set(self.optional))
        if unknown:
            raise ObjectRejected(f"Unknown {self.name} field(s): {', '.join(unknown)}")
        for key in self.required:
            if obj.get(key) is None:
                raise ObjectRejected(f"Missing required {self.name} field '{key}'")
        for key, kind in (*self.required.items(), *self.optional.items()):
            value = obj.get(key)
            if value is not None and not kind.accepts(value):
                raise ObjectRejected(
                    f"{self.name.capitalize()} field '{key}' must be {kind.description}, "
                    f"got {json_type_name(value)}"
                )
        return obj
