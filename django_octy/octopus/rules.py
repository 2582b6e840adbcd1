"""What an AbEntry Update may carry, by the entry's Type.

From the vendor's collection (maximizercrm/octopus-api,
postman/collections/OctopusAPI.json, AbEntry CRUD, Update): Type and ParentKey
cannot be updated; CompanyName can be updated only on a Company or an
Individual, FirstName and LastName only on a Contact or an Individual. The
Read example there describes FullName and Parent as computed from the entry
(and CreationDate is the server's): they are read, never written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIXED_FIELDS = frozenset({"Key", "Type", "ParentKey"})
COMPUTED_FIELDS = frozenset({"CreationDate", "FullName", "Parent"})
UPDATABLE_BY: dict[str, tuple[str, ...]] = {
    "CompanyName": ("Company", "Individual"),
    "FirstName": ("Contact", "Individual"),
    "LastName": ("Contact", "Individual"),
}
"""Fields only some Types may change."""


def may_update(entry_type: str, name: str) -> bool:
    """Whether an Update of an entry of ``entry_type`` may carry the field ``name``."""
    if name in FIXED_FIELDS or name in COMPUTED_FIELDS:
        return False
    return entry_type in UPDATABLE_BY.get(name, (entry_type,))


def updatable(entry_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``data`` an Update of an entry of ``entry_type`` may carry."""
    return {name: value for name, value in data.items() if may_update(entry_type, name)}
