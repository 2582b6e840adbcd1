"""Which AbEntry fields exist, their shapes, what each Type requires and may change.

Sources (maximizercrm/octopus-api, postman/collections/OctopusAPI.json): the
AbEntry folder's notes (required fields per Type, a create without Type,
Type and ParentKey fixed after creation), the CRUD Update example's comments
(which Type may change CompanyName, FirstName and LastName), and the fields
its reads and writes name: ``Email1`` as ``{"Address", "Description"}``,
``Phone1`` as ``{"Number", "Extension", "Description"}``, nested ``Address``
and ``Address/ZipCode`` paths, ``MiddleName``, ``MrMs``, ``Division``,
``Website`` beside ``WebSite``, and user-defined fields as ``Udf/$NAME(...)``,
``Udf/$TYPEID(n)`` or ``Udf/$TAG(...)`` (table ones hold a list of item keys).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...octopus.rules import COMPUTED_FIELDS, FIXED_FIELDS, may_update
from .failures import IMMUTABLE_FIELD, REQUIRED_FIELD, UNKNOWN_FIELD, OctopusFailure

TYPES = ("Company", "Individual", "Contact")
REQUIRED: dict[str, tuple[str, ...]] = {
    "Company": ("CompanyName",),
    "Individual": ("LastName",),
    "Contact": ("LastName", "ParentKey"),
}
PARENT_TYPES = ("Company", "Individual")

TEXT_FIELDS = frozenset(
    {
        "FirstName",
        "MiddleName",
        "LastName",
        "MrMs",
        "Salutation",
        "CompanyName",
        "Position",
        "Department",
        "Division",
        "WebSite",
        "Website",
        "AccountManager",
        "TerritoryKey",
        "ReportsToKey",
        "LastContactDate",
    }
)
OBJECT_FIELDS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("Email", "Email1", "Email2", "Email3"), frozenset({"Address", "Description"})),
    **dict.fromkeys(
        ("Phone", "Phone1", "Phone2", "Phone3", "Phone4"),
        frozenset({"Number", "Extension", "Description"}),
    ),
    "Address": frozenset(
        {"AddressLine1", "AddressLine2", "City", "StateProvince", "ZipCode", "Country"}
        | {"Description"}
    ),
}
"""Fields holding an object of these parts; Email and Phone may also be sent as plain text."""
DEFAULT_PART = {"Email": "Address", "Phone": "Number"}
ADDRESS = "Address"
READ_ONLY_FIELDS = COMPUTED_FIELDS
IDENTITY_FIELDS = FIXED_FIELDS
UDF = re.compile(r"^Udf/\$(NAME|TYPEID|TAG)\(.+\)$")
SCALARS = (str, int, float, bool, type(None))


def split_path(name: str) -> tuple[str, ...]:
    """``Address/ZipCode`` as its parts; a user-defined field's name is one part."""
    return (name,) if UDF.match(name) else tuple(name.split("/"))


def is_known(name: str) -> bool:
    return (
        name in TEXT_FIELDS
        or name in OBJECT_FIELDS
        or name in IDENTITY_FIELDS
        or name in READ_ONLY_FIELDS
        or bool(UDF.match(name))
    )


def check_known(name: str) -> None:
    if not is_known(name):
        raise OctopusFailure(f"The field {name} is not a field of AbEntry.", UNKNOWN_FIELD)


def check_part(name: str, part: str) -> None:
    if part not in OBJECT_FIELDS.get(name, ()):
        raise OctopusFailure(f"The field {name}/{part} is not a field of AbEntry.", UNKNOWN_FIELD)


def check_object(name: str, value: Any) -> Any:
    if isinstance(value, str | None) and name != ADDRESS:
        return value
    if not isinstance(value, Mapping):
        raise OctopusFailure(f"{name} must be an object.", UNKNOWN_FIELD)
    for part, item in value.items():
        check_part(name, part)
        if not isinstance(item, str | None):
            raise OctopusFailure(f"{name}/{part} must be text.", UNKNOWN_FIELD)
    return dict(value)


def check_value(name: str, value: Any) -> Any:
    """The value to store for ``name`` (not Key, Type or ParentKey)."""
    check_known(name)
    if name in READ_ONLY_FIELDS:
        raise OctopusFailure(f"{name} cannot be written.", IMMUTABLE_FIELD)
    if name in OBJECT_FIELDS:
        return check_object(name, value)
    if name in TEXT_FIELDS and not isinstance(value, str | None):
        raise OctopusFailure(f"{name} must be text.", UNKNOWN_FIELD)
    if isinstance(value, list) and all(isinstance(item, SCALARS) for item in value):
        return list(value)  # a table user-defined field: its items' keys
    if not isinstance(value, SCALARS):
        raise OctopusFailure(f"{name} must be a single value.", UNKNOWN_FIELD)
    return value


def text_of(name: str, value: Any) -> Any:
    """An Email or Phone sent as an object, as the text a query compares."""
    if isinstance(value, Mapping) and name.rstrip("1234") in DEFAULT_PART:
        return value.get(DEFAULT_PART[name.rstrip("1234")])
    return value


def check_required(entry_type: str, fields: Mapping[str, Any], has_parent: bool) -> None:
    for name in REQUIRED[entry_type]:
        present = has_parent if name == "ParentKey" else bool(fields.get(name))
        if not present:
            raise OctopusFailure(f"{name} is required for a {entry_type}.", REQUIRED_FIELD)


def check_updatable(entry_type: str, data: Mapping[str, Any]) -> None:
    """Refuse, as Octopus does, an Update carrying a field its Type may not change."""
    for name in data:
        if name in FIXED_FIELDS or name in COMPUTED_FIELDS:
            raise OctopusFailure(f"{name} cannot be updated.", IMMUTABLE_FIELD)
        if not may_update(entry_type, name):
            raise OctopusFailure(f"A {entry_type} cannot update {name}.", IMMUTABLE_FIELD)
