"""Finding the CRM entry of a mirror row whose Create may have happened unconfirmed.

The vendor's collection (maximizercrm/octopus-api,
postman/collections/OctopusAPI.json) has no idempotent create: a Create whose
answer was lost may have made the entry, and sending it again makes a second
one. So such an entry is looked up first, by what identifies the host object:

- with ``OCTOPUS["REFERENCE_FIELD"]`` (a user-defined field such as
  ``Udf/$NAME(Shop reference)``), every entry carries its row's ``reference``
  there, and the lookup is an ``$EQ`` on it;
- otherwise, an entry of the row's Type whose fields sent are all equal to the
  row's (``$EQ`` on each, ``ParentKey`` included), and that no other row of the
  mirror already holds.

A row that knows its identity only takes the entry with that identity.
"""

from __future__ import annotations

from typing import Any

from ...conf import octopus_settings
from ...models import OctopusEntry, SyncedObject
from ...octopus import OctopusClient
from ...octopus.keys import stable_id_of

JSON = dict[str, Any]
SCALARS = (str, int, float)
PAGE_SIZE = 50


def create_may_have_happened(row: SyncedObject) -> bool:
    """Whether a Create of ``row`` was sent without its answer confirming or refusing it:
    the row has no identity, but a push of it has already ended without one."""
    return not row.octy_id and (row.attempts > 0 or bool(row.last_error))


class EntryFinder:
    """Looks entries up by what identifies their host object."""

    def __init__(self, client: OctopusClient) -> None:
        self.client = client
        self.found_for: dict[str, int] = {}
        """Identities found during this push, by the id of the row they were found for: rows
        of one request that send the same fields are not saved yet, and must not share one."""

    @staticmethod
    def reference_field() -> str:
        return str(octopus_settings.REFERENCE_FIELD or "")

    def reference_data(self, row: OctopusEntry) -> JSON:
        """The field carrying the row's reference in the CRM, if one is configured."""
        field = self.reference_field()
        return {field: row.reference} if field and row.reference else {}

    def query(self, row: OctopusEntry, payload: JSON) -> JSON:
        """``Criteria.SearchQuery`` for the entries that may be the row's."""
        conditions: list[JSON] = [{"Type": {"$EQ": row.entry_type}}]
        field = self.reference_field()
        if field and row.reference:
            conditions.append({field: {"$EQ": row.reference}})
        else:
            conditions += [
                {name: {"$EQ": value}}
                for name, value in sorted(payload.items())
                if name not in ("Key", "Type") and isinstance(value, SCALARS) and value != ""
            ]
        return {"$AND": conditions}

    def exists(self, key: str) -> bool:
        """Whether the entry ``key`` names is still in the CRM (``Key`` ``$EQ`` a Key, as in
        the vendor's collection)."""
        found = self.client.read_entries({"Key": 1}, {"Key": {"$EQ": key}}, top=1)
        return next(found, None) is not None

    def current_keys(self, keys: list[str]) -> dict[str, str]:
        """The Keys this session names the entries of ``keys`` with, by stable identity: one
        Read (``$OR`` of ``Key`` ``$EQ`` a Key, forms of the vendor's collection)."""
        if not keys:
            return {}
        query = {"$OR": [{"Key": {"$EQ": key}} for key in keys]}
        entries = self.client.read_entries({"Key": 1}, query, page_size=PAGE_SIZE)
        keys_by_identity = {stable_id_of(entry.get("Key")): entry.get("Key") for entry in entries}
        return {
            identity: key
            for identity, key in keys_by_identity.items()
            if identity is not None and isinstance(key, str)
        }

    def find(self, row: OctopusEntry, payload: JSON) -> JSON | None:
        """The entry (``Key`` and ``Type``) that is the row's, or ``None``."""
        candidates = self.client.read_entries(
            {"Key": 1, "Type": 1}, self.query(row, payload), page_size=PAGE_SIZE
        )
        for entry in candidates:
            identity = stable_id_of(entry.get("Key"))
            if identity is None:
                continue
            if row.octy_id:
                if identity == row.octy_id:
                    return entry
            elif self.free_for(identity, row):
                self.found_for[identity] = row.pk
                return entry
        return None

    def free_for(self, identity: str, row: OctopusEntry) -> bool:
        """Whether no other row holds ``identity``, nor was found to have it in this push."""
        return self.found_for.get(identity, row.pk) == row.pk and not held_by_another(identity, row)


def held_by_another(identity: str, row: OctopusEntry) -> bool:
    return OctopusEntry.objects.filter(octy_id=identity).exclude(pk=row.pk).exists()
