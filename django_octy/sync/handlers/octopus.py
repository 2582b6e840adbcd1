"""The Octopus handler: address-book entries, one request each, over ``OctopusClient``.

Octopus has no batch write, so a push sends its rows one at a time and maps
each answer to that row's outcome: an entry Octopus refuses (a negative
``Code``) fails alone, with Octopus's messages. A failure of the request
itself (the connection, a 429, refused credentials) interrupts the push: the
rows that went through keep their outcomes, the engine decides about the rest.

A row stores the entry's stable identity (``id<TAB>number``, decoded from
its Key) as its ``octy_id``; the Key sent back is rebuilt from it, since the
Key Octopus hands out changes between sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from ...models import PARENT_TYPES, Entity, EntryType, OctopusEntry, Operation, SyncedObject
from ...octopus import (
    EntryIdentity,
    OctopusClient,
    OctopusEntryError,
    OctopusError,
    decode_key,
)
from ...octopus.keys import SEPARATOR
from ..outcomes import Outcome, Rejected, Synced
from ..waiting import deleted_dependencies
from . import Handler, PushInterrupted

JSON = dict[str, Any]


def identity_of(row: OctopusEntry) -> EntryIdentity:
    """The identity of a row the CRM has (``octy_id`` set)."""
    entry_id, number = str(row.octy_id).rsplit(SEPARATOR, 1)
    return EntryIdentity(row.entry_type, entry_id, int(number))


def key_of(row: OctopusEntry) -> str:
    return identity_of(row).encode()


def rejected(operation: Operation, error: OctopusError) -> Rejected:
    """A row's outcome when Octopus refused it (or a request about it)."""
    reason = f"Code {error.code}" if error.code is not None else ""
    messages = tuple(error.messages) or (error.message,)
    return Rejected(operation, str(error), error.status, reason, messages)


class EntryHandler(Handler):
    """Creates, updates and deletes AbEntries of the types in ``scope``."""

    entity = Entity.OCTOPUS_ENTRY
    model = OctopusEntry
    select_related = ("parent",)

    def __init__(self, client: OctopusClient) -> None:
        self.client = client

    def identifier(self, row: SyncedObject) -> str:
        assert isinstance(row, OctopusEntry)
        return row.reference or f"{row.entry_type} {row}"

    def payload(self, row: OctopusEntry) -> JSON:
        payload: JSON = {**row.data, "Type": row.entry_type}
        if row.entry_type == EntryType.CONTACT and row.parent is not None:
            payload["ParentKey"] = key_of(row.parent)
        return payload

    def push(self, operation: Operation, rows: Sequence[SyncedObject]) -> dict[int, Outcome]:
        orphans = deleted_dependencies(rows) if operation != Operation.DELETE else {}
        outcomes: dict[int, Outcome] = {
            pk: Rejected(operation, reason) for pk, reason in orphans.items()
        }
        for row in rows:
            if row.pk in orphans:
                continue
            assert isinstance(row, OctopusEntry)
            try:
                outcomes[row.pk] = self.push_entry(operation, row)
            except OctopusEntryError as error:
                outcomes[row.pk] = rejected(operation, error)
            except OctopusError as error:
                raise PushInterrupted(outcomes, error) from error
        return outcomes

    def push_entry(self, operation: Operation, row: OctopusEntry) -> Outcome:
        if operation == Operation.DELETE:
            self.client.delete_entry(key_of(row))
            return Synced(None, deleted=True)
        if operation == Operation.UPDATE:
            answer = self.client.update_entry({**self.payload(row), "Key": key_of(row)})
        else:
            answer = self.client.create_entry(self.payload(row))
        key = answer.get("Key")
        identity = decode_key(str(key)) if key else identity_of(row)
        return Synced(identity.stable_id, dict(answer))


class ParentHandler(EntryHandler):
    """Companies and individuals: pushed first, so that their contacts know the parent."""

    scope = Q(entry_type__in=PARENT_TYPES)


class ContactHandler(EntryHandler):
    scope = Q(entry_type=EntryType.CONTACT)


HANDLERS = (ParentHandler, ContactHandler)
"""In the order a flush drains them: parents, then their contacts."""
