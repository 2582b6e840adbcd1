"""AbEntry Create, Update and Delete, with Octopus's rules on Type, ParentKey and Keys.

From the vendor's collection (maximizercrm/octopus-api,
postman/collections/OctopusAPI.json): a create without Type makes a Company,
or a Contact when it names a ParentKey; Type and ParentKey cannot be updated;
an answer echoes the Key, the Type and the fields written. Deleting an entry
has no rule about its contacts there, so the fake has none either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...octopus.keys import EntryIdentity, decode_key
from .failures import (
    INVALID_REQUEST,
    KEY_NOT_FOUND,
    KEY_TYPE_NOT_SUPPORTED,
    REJECTED,
    OctopusFailure,
)
from .fields import PARENT_TYPES, TYPES, check_required, check_updatable, check_value
from .state import Entry, OctopusState

IDENTITY_FIELDS = ("Key", "Type", "ParentKey")


def entry_data(request: Mapping[str, Any]) -> dict[str, Any]:
    data = request.get("Data")
    if not isinstance(data, Mapping):
        raise OctopusFailure("AbEntry.Data must be an object.", INVALID_REQUEST)
    return dict(data)


def find(state: OctopusState, key: Any) -> Entry:
    """The entry a Key names (from any session, unless ``state.session_keys``); a Code -1
    if there is none."""
    if not isinstance(key, str):
        raise OctopusFailure("Key must be a string.", INVALID_REQUEST)
    try:
        identity = decode_key(key)
    except ValueError:
        raise OctopusFailure("The given key is not valid.", KEY_NOT_FOUND) from None
    entry = state.entries.get(identity.stable_id)
    if (
        entry is None
        or identity.type not in state.key_prefixes(entry)
        or (state.session_keys and not state.issued_now(key))
    ):
        raise OctopusFailure("The given key does not exist.", KEY_NOT_FOUND)
    return entry


def find_parent(state: OctopusState, key: Any) -> Entry:
    parent = find(state, key)
    if parent.identity.type not in PARENT_TYPES:
        raise OctopusFailure(
            "The given key is of a type not supported by the target object.(DONOTUPDATE)",
            KEY_TYPE_NOT_SUPPORTED,
        )
    return parent


def stored_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: check_value(name, value)
        for name, value in data.items()
        if name not in IDENTITY_FIELDS
    }


def check_not_rejected(state: OctopusState, fields: Mapping[str, Any]) -> None:
    for (name, value), message in state.rejections.items():
        if fields.get(name) == value:
            raise OctopusFailure(message, REJECTED)


def new_identity(state: OctopusState, entry_type: str, parent: Entry | None) -> EntryIdentity:
    """A company or individual gets a new id; a contact takes its parent's, with a number."""
    if parent is None:
        return EntryIdentity(entry_type, f"{state.next_sequence:012d}", 0)
    parent.contacts += 1
    return EntryIdentity(entry_type, parent.identity.id, parent.contacts)


def create(state: OctopusState, request: Mapping[str, Any]) -> Entry:
    data = entry_data(request)
    if data.get("Key", "missing") is not None:
        raise OctopusFailure('Send "Key": null to create an entry.', INVALID_REQUEST)
    entry_type = data.get("Type") or ("Contact" if data.get("ParentKey") else "Company")
    if entry_type not in TYPES:
        raise OctopusFailure(f"Type must be one of {', '.join(TYPES)}.", INVALID_REQUEST)
    fields = stored_fields(data)
    parent_key = data.get("ParentKey")
    check_required(entry_type, fields, parent_key is not None)
    check_not_rejected(state, fields)
    parent = find_parent(state, parent_key) if parent_key is not None else None
    if parent is not None and entry_type != "Contact":
        raise OctopusFailure(f"A {entry_type} cannot have a ParentKey.", INVALID_REQUEST)
    entry = Entry(
        new_identity(state, entry_type, parent),
        {"Type": entry_type, **fields, "CreationDate": state.timestamp()},
        parent.identity.stable_id if parent is not None else None,
        sequence=state.next_sequence,
    )
    state.next_sequence += 1
    state.entries[entry.identity.stable_id] = entry
    return entry


def merged(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    fields = {**current, **changes}
    for name, value in changes.items():
        if isinstance(current.get(name), Mapping) and isinstance(value, Mapping):
            fields[name] = {**current[name], **value}
    return fields


def update(state: OctopusState, request: Mapping[str, Any]) -> Entry:
    data = entry_data(request)
    entry = find(state, data.get("Key"))
    check_updatable(entry.identity.type, {name: v for name, v in data.items() if name != "Key"})
    fields = merged(entry.fields, stored_fields(data))
    check_required(entry.identity.type, fields, entry.parent is not None)
    check_not_rejected(state, fields)
    entry.fields = fields
    return entry


def delete(state: OctopusState, request: Mapping[str, Any]) -> Entry:
    entry = find(state, entry_data(request).get("Key"))
    del state.entries[entry.identity.stable_id]
    return entry


def echoed(method: str, entry: Entry, request: Mapping[str, Any], key: str) -> dict[str, Any]:
    """An answer's ``Data``: the Key, and for a write of fields, the Type and those fields."""
    data = {name: value for name, value in entry_data(request).items() if name != "Key"}
    if method == "Delete":
        return {"Key": key}
    return {"Key": key, "Type": entry.identity.type, **data}
