"""Which AbEntry fields exist, and what each Type requires."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .failures import REQUIRED_FIELD, UNKNOWN_FIELD, OctopusFailure

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
        "LastName",
        "CompanyName",
        "Position",
        "Department",
        "Email",
        "Email1",
        "Email2",
        "Email3",
        "Phone",
        "Phone1",
        "Phone2",
        "Phone3",
        "Phone4",
        "WebSite",
    }
)
ADDRESS = "Address"
ADDRESS_FIELDS = frozenset(
    {"AddressLine1", "AddressLine2", "City", "StateProvince", "ZipCode", "Country"}
)
IDENTITY_FIELDS = frozenset({"Key", "Type", "ParentKey"})
UDF = re.compile(r"^Udf/\$\w+\(.+\)$")
SCALARS = (str, int, float, bool, type(None))


def is_known(name: str) -> bool:
    return (
        name in TEXT_FIELDS or name in IDENTITY_FIELDS or name == ADDRESS or bool(UDF.match(name))
    )


def check_known(name: str) -> None:
    if not is_known(name):
        raise OctopusFailure(f"The field {name} is not a field of AbEntry.", UNKNOWN_FIELD)


def check_address(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise OctopusFailure("Address must be an object.", UNKNOWN_FIELD)
    for name, part in value.items():
        if name not in ADDRESS_FIELDS:
            raise OctopusFailure(
                f"The field Address/{name} is not a field of AbEntry.", UNKNOWN_FIELD
            )
        if not isinstance(part, str | None):
            raise OctopusFailure(f"Address/{name} must be text.", UNKNOWN_FIELD)
    return dict(value)


def check_value(name: str, value: Any) -> Any:
    """The value to store for ``name`` (not Key, Type or ParentKey)."""
    check_known(name)
    if name == ADDRESS:
        return check_address(value)
    if name in TEXT_FIELDS and not isinstance(value, str | None):
        raise OctopusFailure(f"{name} must be text.", UNKNOWN_FIELD)
    if not isinstance(value, SCALARS):
        raise OctopusFailure(f"{name} must be a single value.", UNKNOWN_FIELD)
    return value


def check_required(entry_type: str, fields: Mapping[str, Any], has_parent: bool) -> None:
    for name in REQUIRED[entry_type]:
        present = has_parent if name == "ParentKey" else bool(fields.get(name))
        if not present:
            raise OctopusFailure(f"{name} is required for a {entry_type}.", REQUIRED_FIELD)
