"""The fake Octopus's store: address book entries, session tokens and test rejections."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...octopus.keys import SEPARATOR, EntryIdentity

TOKEN_MAX_AGE = 24 * 3600.0
LEGACY_PREFIX = "Contact"
ABENTRY_PREFIX = "AbEntry"
TIMESTAMP = "%Y-%m-%dT%H:%M:%S"


@dataclass
class TokenSession:
    """A session token's life: it expires ``ttl`` seconds after its last use, 24 h at most."""

    issued_at: float
    last_used: float
    stamp: str

    def valid(self, now: float, ttl: float) -> bool:
        return now - self.last_used <= ttl and now - self.issued_at <= TOKEN_MAX_AGE


def session_stamp(token: str) -> str:
    """What makes the Keys issued to one session differ from another's."""
    return hashlib.sha256(token.encode()).hexdigest()[:8]


@dataclass
class Entry:
    """One AbEntry: its identity, its fields, and its parent's stable id (contacts)."""

    identity: EntryIdentity
    fields: dict[str, Any]
    parent: str | None = None
    sequence: int = 0
    contacts: int = 0
    last_key: str = ""

    def key_for(self, stamp: str, prefix: str) -> str:
        """The Key this entry has in a session: it decodes to the identity, but varies.

        ``prefix`` is the Key's first field (see :meth:`OctopusState.key_prefix`);
        the session's stamp follows the number, as a fourth field.
        """
        identity = self.identity
        text = SEPARATOR.join((prefix, identity.id, str(identity.number), stamp))
        self.last_key = base64.b64encode(text.encode()).decode("ascii")
        return self.last_key


@dataclass
class OctopusState:
    """All the fake's data. Hold ``lock`` while reading or changing anything."""

    clock: Callable[[], float] = time.monotonic
    lock: threading.RLock = field(default_factory=threading.RLock)
    entries: dict[str, Entry] = field(default_factory=dict)
    sessions: dict[str, TokenSession] = field(default_factory=dict)
    # (field, value) -> the message a write of an entry with that value fails with.
    rejections: dict[tuple[str, str], str] = field(default_factory=dict)
    next_sequence: int = 1
    abentry_keys: bool = False
    session_keys: bool = False
    stamp: str = ""
    """The stamp of the session whose request is being handled."""
    wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def key_prefix(self, entry: Entry, compatible: bool) -> str:
        """The first field of the Keys issued for ``entry``.

        The vendor's collection (maximizercrm/octopus-api,
        postman/collections/OctopusAPI.json) shows Keys that decode to
        ``Contact`` whatever the Type without ``"Compatibility": {"AbEntryKey":
        "2.0"}``; with it, Keys that decode to the Type (``Company``...) or to
        ``AbEntry`` (``abentry_keys``).
        """
        if not compatible:
            return LEGACY_PREFIX
        return ABENTRY_PREFIX if self.abentry_keys else entry.identity.type

    def key_prefixes(self, entry: Entry) -> tuple[str, ...]:
        """The prefixes of the Keys this server issues for ``entry``: the ones it accepts."""
        return (LEGACY_PREFIX, self.key_prefix(entry, compatible=True))

    def issued_now(self, key: str) -> bool:
        """Whether ``key`` was issued to the session whose request is being handled."""
        try:
            fields = base64.b64decode(key).decode().split(SEPARATOR)
        except ValueError:
            return False
        return fields[3:4] == [self.stamp]

    def timestamp(self) -> str:
        """Now, as Octopus writes a DateTime field (``2024-01-01T00:00:00``)."""
        return self.wall_clock().strftime(TIMESTAMP)
