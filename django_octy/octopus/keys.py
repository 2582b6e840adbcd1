"""AbEntry Keys and the stable identity they carry.

A Key is base64 of ``Prefix<TAB>id<TAB>number`` (a contact shares its parent's
id and has its own number). The vendor warns that the Key issued for an entry
may change between sessions, so what a caller stores is the decoded identity,
and the Key only as a cache. The prefix is not the entry's Type to rely on:
without ``"Compatibility": {"AbEntryKey": "2.0"}`` it reads ``Contact``
whatever the Type, with it the Type or ``AbEntry`` (maximizercrm/octopus-api,
postman/collections/OctopusAPI.json). So a Key is never rebuilt from an
identity: it is sent as the CRM issued it. Fields after the number, which some
Keys carry, are not part of the identity.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

SEPARATOR = "\t"


@dataclass(frozen=True)
class EntryIdentity:
    """What names an address book entry across sessions."""

    type: str
    id: str
    number: int

    @property
    def stable_id(self) -> str:
        """``id<TAB>number``: unique across types, the key to store."""
        return f"{self.id}{SEPARATOR}{self.number}"


def decode_key(key: str) -> EntryIdentity:
    """The identity in ``key``; raises :class:`ValueError` if it is not an AbEntry Key."""
    try:
        raw = base64.b64decode(key + "=" * (-len(key) % 4), validate=True)
        text = raw.decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("Not an AbEntry Key: not base64 of UTF-8 text") from None
    parts = text.split(SEPARATOR)
    if len(parts) < 3 or not parts[0] or not parts[1] or not parts[2].isdigit():
        raise ValueError("Not an AbEntry Key: expected Type, id and number")
    return EntryIdentity(parts[0], parts[1], int(parts[2]))


def stable_id_of(key: object) -> str | None:
    """The stable identity a Key decodes to; ``None`` for a missing or foreign one."""
    try:
        return decode_key(str(key)).stable_id if key else None
    except ValueError:
        return None
