"""The Octopus handler: address-book entries, one request each, over ``OctopusClient``.

Octopus has no batch write, so a push sends its rows one at a time and maps
each answer to that row's outcome: an entry Octopus refuses (a negative
``Code``) fails alone, with Octopus's messages. A failure of the request
itself (the connection, a 429, refused credentials) interrupts the push: the
rows that went through keep their outcomes, the engine decides about the rest.

A row stores the entry's stable identity (``id<TAB>number``, decoded from
its Key) as its ``octy_id``, and the Key the CRM last issued in ``remote``: a
Key is opaque (its first field differs with the server's compatibility
level), so it is sent as issued, never rebuilt. An Update carries only the
fields the entry's Type may change (:mod:`django_octy.octopus.rules`).

A Create whose answer was lost may have made the entry. Before such a row is
created again, or its deletion dropped, the entry is looked up
(:mod:`.octopus_lookup`): found, it is adopted (or deleted) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import Q

from ...models import PARENT_TYPES, Entity, EntryType, OctopusEntry, Operation, SyncedObject
from ...octopus import OctopusClient, OctopusEntryError, OctopusError, decode_key
from ...octopus.keys import stable_id_of
from ...octopus.rules import updatable
from ..outcomes import Outcome, Rejected, Synced
from ..waiting import deleted_dependencies
from . import Handler, PushInterrupted
from .octopus_lookup import EntryFinder, create_may_have_happened

JSON = dict[str, Any]


def cached_key(row: OctopusEntry) -> str | None:
    """The Key the CRM last issued for the row's entry, if the row has it."""
    key = (row.remote or {}).get("Key")
    return key if isinstance(key, str) and stable_id_of(key) == row.octy_id else None


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
        self.finder = EntryFinder(client)
        self.fresh_keys: dict[int, str] = {}
        """Keys looked up during this push, by row id: newer than the ones cached."""

    def identifier(self, row: SyncedObject) -> str:
        assert isinstance(row, OctopusEntry)
        return row.reference or f"{row.entry_type} {row}"

    def may_exist(self, row: SyncedObject) -> bool:
        return bool(row.octy_id) or create_may_have_happened(row)

    def payload(self, row: OctopusEntry) -> JSON:
        payload: JSON = {**row.data, **self.finder.reference_data(row), "Type": row.entry_type}
        if row.entry_type == EntryType.CONTACT and row.parent is not None:
            payload["ParentKey"] = self.key_of(row.parent)
        return payload

    def key_of(self, row: OctopusEntry) -> str:
        """The Key to name the row's entry with: the freshest known, or one looked up now."""
        key = self.fresh_keys.get(row.pk) or cached_key(row) or self.looked_up_key(row)
        if key is None:
            raise OctopusEntryError(
                "The CRM's Key of this entry is not known and no entry matches it: "
                "pull it again (octopus_pull)",
                method="Read",
            )
        return key

    def looked_up_key(self, row: OctopusEntry) -> str | None:
        """The entry's current Key, found by what the CRM was last told of it."""
        told = {name: value for name, value in (row.remote or {}).items() if name != "ParentKey"}
        found = self.finder.find(row, told or self.payload(row))
        key = found.get("Key") if found else None
        return key if isinstance(key, str) else None

    def refresh_keys(self, row: OctopusEntry) -> bool:
        """Look up again the Keys a refused request named (the row's, its parent's); whether
        any changed. Keys may be valid in the session that read them only."""
        changed = False
        for named in (row, row.parent):
            if named is None or not named.octy_id:
                continue
            sent = self.key_of(named)
            key = self.looked_up_key(named)
            if key is not None and key != sent:
                self.fresh_keys[named.pk] = key
                changed = True
        return changed

    def sent_with_fresh_keys(self, row: OctopusEntry, send: Callable[[], JSON]) -> JSON:
        """``send()``; refused, it is sent once more if the Keys it named had gone stale."""
        try:
            return send()
        except OctopusEntryError:
            if not self.refresh_keys(row):
                raise
            return send()

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
            return self.delete(row)
        if operation == Operation.UPDATE:
            return self.synced(row, self.update(row, lambda: self.key_of(row)))
        found = self.finder.find(row, self.payload(row)) if create_may_have_happened(row) else None
        if found is not None:  # the lost create happened: bring the entry up to date
            return self.synced(row, self.update(row, lambda: str(found["Key"])))

        def create() -> JSON:
            payload = self.payload(row)
            return self.client.create_entry(payload, lookup=lambda: self.finder.find(row, payload))

        return self.synced(row, self.sent_with_fresh_keys(row, create))

    def update(self, row: OctopusEntry, key: Callable[[], str]) -> JSON:
        data = updatable(row.entry_type, {**row.data, **self.finder.reference_data(row)})
        return self.sent_with_fresh_keys(
            row, lambda: self.client.update_entry({**data, "Key": key()})
        )

    def delete(self, row: OctopusEntry) -> Outcome:
        if row.octy_id:
            self.sent_with_fresh_keys(row, lambda: self.client.delete_entry(self.key_of(row)))
            return Synced(None, deleted=True)
        found = self.finder.find(row, self.payload(row))
        if found is not None:  # a create whose answer was lost had made it
            self.client.delete_entry(str(found["Key"]))
        return Synced(None, deleted=True)

    @staticmethod
    def synced(row: OctopusEntry, answer: JSON) -> Synced:
        remote = {**(row.remote or {}), **answer}
        return Synced(decode_key(str(remote.get("Key"))).stable_id, remote)


class ParentHandler(EntryHandler):
    """Companies and individuals: pushed first, so that their contacts know the parent."""

    scope = Q(entry_type__in=PARENT_TYPES)


class ContactHandler(EntryHandler):
    scope = Q(entry_type=EntryType.CONTACT)


HANDLERS = (ParentHandler, ContactHandler)
"""In the order a flush drains them: parents, then their contacts."""
