"""The Octopus handler: address-book entries, many to a request, over ``OctopusClient``.

A push sends its rows as aliased payloads (``AbEntry.1``, ``AbEntry.2``...),
``OCTOPUS["ENTRIES_PER_REQUEST"]`` to a request, as the vendor's collection
shows (maximizercrm/octopus-api, postman/collections/OctopusAPI.json, "Batch
Queries"). Octopus applies them in order, each committed alone, and stops at
the first it refuses: the rows before it are synced, that row alone is
refused (a negative ``Code``, with Octopus's messages), and the rows after it
are sent again. A failure of the request itself (the connection, a 429,
refused credentials) interrupts the push: the rows that went through keep
their outcomes, the engine decides about the rest.

A row stores the entry's stable identity (``id<TAB>number``, decoded from
its Key) as its ``octy_id``, and the Key the CRM last issued in ``remote``: a
Key is opaque (its first field differs with the server's compatibility
level), so it is sent as issued, never rebuilt. An Update carries only the
fields the entry's Type may change (:mod:`django_octy.octopus.rules`).

A Create whose answer was lost may have made the entry. Before such a row is
created again, or its deletion dropped, the entry is looked up
(:mod:`.octopus_lookup`): found, it is adopted (or deleted) instead. Such rows,
and rows whose Key must be looked up, are sent one to a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db.models import Q

from ...conf import octopus_settings
from ...models import PARENT_TYPES, Entity, EntryType, OctopusEntry, Operation, SyncedObject
from ...octopus import (
    OctopusBatchError,
    OctopusClient,
    OctopusEntryError,
    OctopusError,
    decode_key,
)
from ...octopus.client import WriteAction
from ...octopus.keys import stable_id_of
from ...octopus.rules import updatable
from ..outcomes import Outcome, Rejected, Synced
from ..waiting import deleted_dependencies
from . import Handler, PushInterrupted
from .octopus_lookup import EntryFinder, create_may_have_happened

JSON = dict[str, Any]
KEY_FIELDS = ("Key", "ParentKey")
ACTIONS: dict[Operation, WriteAction] = {
    Operation.CREATE: "Create",
    Operation.UPDATE: "Update",
    Operation.DELETE: "Delete",
}


def entries_per_request() -> int:
    """``OCTOPUS["ENTRIES_PER_REQUEST"]`` (check E009 reports a value that is not a count)."""
    return max(1, int(octopus_settings.ENTRIES_PER_REQUEST))


@contextmanager
def refusal_of(
    row: OctopusEntry, operation: Operation, outcomes: dict[int, Outcome]
) -> Iterator[None]:
    """Record Octopus's refusal of what the block sends about ``row`` as the row's outcome."""
    try:
        yield
    except OctopusEntryError as error:
        outcomes[row.pk] = rejected(operation, error)


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

    def batch_limit(self, operation: Operation) -> int:
        return entries_per_request()

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
        batched: list[tuple[OctopusEntry, JSON]] = []
        try:
            for row in rows:
                if row.pk in orphans:
                    continue
                assert isinstance(row, OctopusEntry)
                with refusal_of(row, operation, outcomes):
                    data = self.batch_data(operation, row)
                    if data is None:
                        outcomes[row.pk] = self.push_entry(operation, row)
                    else:
                        batched.append((row, data))
            self.push_batch(operation, batched, outcomes)
        except OctopusError as error:
            raise PushInterrupted(outcomes, error) from error
        return outcomes

    def batch_data(self, operation: Operation, row: OctopusEntry) -> JSON | None:
        """What the row's payload in an aliased request holds; ``None``: the row is sent alone
        (a Create that may have happened, a Key that must be looked up)."""
        if operation == Operation.CREATE:
            return None if create_may_have_happened(row) else self.payload(row)
        key = self.fresh_keys.get(row.pk) or cached_key(row)
        if key is None:
            return None
        if operation == Operation.DELETE:
            return {"Key": key}
        return {**self.updatable_data(row), "Key": key}

    def push_batch(
        self,
        operation: Operation,
        batch: list[tuple[OctopusEntry, JSON]],
        outcomes: dict[int, Outcome],
    ) -> None:
        """Send ``batch`` as aliased requests until every row has its outcome (a request
        stopped at a refused entry is followed by one with the entries after it)."""
        while len(batch) > 1:
            try:
                answers = self.client.write_entries(ACTIONS[operation], [data for _, data in batch])
            except OctopusBatchError as stopped:
                batch = self.settle_stop(operation, batch, stopped, outcomes)
                continue
            for (row, data), answer in zip(batch, answers, strict=True):
                outcomes[row.pk] = self.written(operation, row, {**data, **answer})
            return
        for row, _ in batch:
            with refusal_of(row, operation, outcomes):
                outcomes[row.pk] = self.push_entry(operation, row)

    def settle_stop(
        self,
        operation: Operation,
        batch: list[tuple[OctopusEntry, JSON]],
        stopped: OctopusBatchError,
        outcomes: dict[int, Outcome],
    ) -> list[tuple[OctopusEntry, JSON]]:
        """Outcomes for the rows of a request Octopus stopped at a refused payload: those
        applied before it, and the refused one, sent alone for its own error. Returns the
        rows after it, which were not applied."""
        for index, (row, data) in enumerate(batch):
            answer = self.applied_before_stop(operation, row, data, stopped, index)
            if answer is not None:
                outcomes[row.pk] = self.written(operation, row, answer)
                continue
            known_keys = dict(self.fresh_keys)
            with refusal_of(row, operation, outcomes):
                outcomes[row.pk] = self.push_entry(operation, row)
            if self.fresh_keys != known_keys:  # refused for a stale Key: the rest's may be too
                return self.with_current_keys(batch[index + 1 :])
            untold = operation == Operation.UPDATE and not stopped.written
            if untold and isinstance(outcomes[row.pk], Synced):
                continue  # the refused Update may be further on: they go alone until it is
            return batch[index + 1 :]
        return []

    def with_current_keys(
        self, batch: list[tuple[OctopusEntry, JSON]]
    ) -> list[tuple[OctopusEntry, JSON]]:
        """``batch`` with the Keys its payloads name (``Key``, ``ParentKey``) as this session
        names them now, looked up in one request."""
        named = sorted({data[name] for _, data in batch for name in KEY_FIELDS if data.get(name)})
        current = self.finder.current_keys(named)

        def renamed(data: JSON) -> JSON:
            keys = {
                name: current.get(str(stable_id_of(data[name])), data[name])
                for name in KEY_FIELDS
                if data.get(name)
            }
            return {**data, **keys}

        return [(row, renamed(data)) for row, data in batch]

    def applied_before_stop(
        self,
        operation: Operation,
        row: OctopusEntry,
        data: JSON,
        stopped: OctopusBatchError,
        index: int,
    ) -> JSON | None:
        """What the row's entry became if its payload was applied before the stop, else
        ``None``. When the answer does not tell, a created entry is looked up and a deleted
        one must be gone; an Update is taken as not applied (sending it again is harmless)."""
        if index < len(stopped.written):
            return {**data, **stopped.written[index]}
        if stopped.written:
            return None
        if operation == Operation.CREATE:
            found = self.finder.find(row, data)
            return {**data, **found} if found is not None else None
        if operation == Operation.DELETE and not self.finder.exists(str(data["Key"])):
            return data
        return None

    def written(self, operation: Operation, row: OctopusEntry, answer: JSON) -> Synced:
        if operation == Operation.DELETE:
            return Synced(None, deleted=True)
        return self.synced(row, answer)

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

    def updatable_data(self, row: OctopusEntry) -> JSON:
        return updatable(row.entry_type, {**row.data, **self.finder.reference_data(row)})

    def update(self, row: OctopusEntry, key: Callable[[], str]) -> JSON:
        data = self.updatable_data(row)
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
