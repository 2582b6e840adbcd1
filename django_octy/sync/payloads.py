"""What a mapped value must be for Octy to get it unchanged, checked when it is mapped.

A mirror column's own ``clean()`` checks blanks, lengths and the types Django
knows. It lets through what the database, the JSON on the wire or Octy refuses
(a NUL character, a lone surrogate, ``NaN``, nesting deep enough to overflow
the encoder, a number too big to print) and it quietly changes what it should
refuse (``str()`` of a list as an id, ``int()`` of ``12.5`` as a price, a
non-string key of a JSON object). Every check raises a
:class:`~django.core.exceptions.ValidationError` saying where in the value the
problem is, so that the mapping error names the field and the place inside it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

MAX_DEPTH = 32
"""How deep objects and arrays may nest in a JSON field."""

MAX_OBJECT_BYTES = 1_000_000
"""The most JSON one object may take: a batch of larger ones could never be sent whole."""

MAX_MESSAGE_LENGTH = 500
"""How much of a problem's description an error row keeps."""

INTEGERS = range(-(2**63), 2**63)
"""The integers every JSON reader and database column on the way holds exactly."""

EVENT_PROPERTY_TYPES = (str, int, float, bool)
"""What Octy takes as the value of an event property."""

TEXT_FIELDS = (models.CharField, models.TextField)
INTEGER_FIELDS = (models.IntegerField,)


def clean(field: models.Field[Any, Any], value: Any) -> Any:
    """``value`` as ``field`` stores it and Octy takes it; raises ``ValidationError``."""
    check_type(field, value)
    if isinstance(field, models.JSONField):
        check_content(value)  # first: the column's own check would overflow or fail to print
    cleaned = field.clean(value, None)
    if isinstance(cleaned, str):
        check_text(cleaned)
    return cleaned


def check_type(field: models.Field[Any, Any], value: Any) -> None:
    """Refuse the values the column would convert into something else."""
    if value is None:
        return
    if isinstance(field, TEXT_FIELDS) and not is_integer(value) and not isinstance(value, str):
        raise problem(f"must be a string, got {type_name(value)}")
    if isinstance(field, INTEGER_FIELDS) and not is_integer(value):
        raise problem(f"must be an integer, got {type_name(value)}")
    if isinstance(field, models.DateTimeField) and not isinstance(value, datetime | str):
        raise problem(f"must be a datetime, got {type_name(value)}")
    # The JSON columns Octy takes as objects are the ones that default to one.
    takes_objects = isinstance(field, models.JSONField) and field.default is dict
    if takes_objects and not isinstance(value, Mapping):
        raise problem(f"must be an object, got {type_name(value)}")


def check_content(value: Any, where: str = "", depth: int = 0) -> None:
    """Walk a (JSON) value; refuse what cannot travel to Octy and back unchanged."""
    if isinstance(value, str):
        check_text(value, where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise problem(f"{value!r} is not a JSON number", where)
    elif is_integer(value):
        if value not in INTEGERS:
            raise problem("the integer is out of the 64-bit range", where)
    elif isinstance(value, Mapping | list | tuple):
        if depth >= MAX_DEPTH:
            raise problem(f"nested deeper than {MAX_DEPTH} levels", where)
        for key, item in value.items() if isinstance(value, Mapping) else enumerate(value):
            if isinstance(value, Mapping):
                check_key(key, where)
            check_content(item, f"{where}[{key!r}]", depth + 1)
    elif value is not None and not isinstance(value, bool):
        raise problem(f"{type_name(value)} is not a JSON value", where)


def check_key(key: Any, where: str) -> None:
    if not isinstance(key, str):
        raise problem(f"the key {shown(key)} is not a string", where)
    check_text(key, f"{where} key {shown(key)}")


def check_text(text: str, where: str = "") -> None:
    if "\x00" in text:
        raise problem("contains a NUL character", where)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise problem("is not valid Unicode (a lone surrogate)", where) from None


def check_event_properties(properties: Any) -> None:
    """Octy takes an object of strings, numbers and booleans, nothing else."""
    if not isinstance(properties, Mapping):
        raise problem(f"must be an object, got {type_name(properties)}")
    for name, value in properties.items():
        if not isinstance(value, EVENT_PROPERTY_TYPES):
            where = f"[{name!r}]"
            raise problem(f"must be a string, number or boolean, got {type_name(value)}", where)


def oversized(values: Mapping[str, Any]) -> tuple[str, ValidationError] | None:
    """The field that makes an object too big to send, and why; ``None`` when it fits."""
    sizes = {name: len(json.dumps(value, default=str)) for name, value in values.items()}
    if sum(sizes.values()) <= MAX_OBJECT_BYTES:
        return None
    largest = max(sizes, key=lambda name: sizes[name])
    message = (
        f"{sizes[largest]} bytes of JSON make the object larger than the "
        f"{MAX_OBJECT_BYTES} bytes Octy takes per object"
    )
    return largest, problem(message)


def printable(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """``text`` as an error row stores it: NULs and lone surrogates escaped, ``limit`` long."""
    safe = text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return safe if len(safe) <= limit else f"{safe[: limit - 1]}…"


def problem(message: str, where: str = "") -> ValidationError:
    return ValidationError(f"{where}: {message}" if where else message)


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def type_name(value: Any) -> str:
    return type(value).__name__


def shown(value: Any) -> str:
    return printable(repr(value), 60)
