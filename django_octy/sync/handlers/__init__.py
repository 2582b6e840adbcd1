"""Handlers: per entity, how mirror rows are sent to a target and how each fared.

The engine (claims, leases, backoff, bookkeeping) knows nothing of Octy or
Octopus; it drives one :class:`Handler` per entity (or per part of one, see
``scope``), which its :class:`~django_octy.sync.targets.Target` provides. A
handler builds the target's payloads from mirror rows, makes the calls, and
maps the answers back to rows. It never writes to the database: it returns an
outcome per row, or raises the target's error when a whole request failed
(:class:`PushInterrupted` when it failed part-way).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from django.db.models import Prefetch, Q

from ...models import Entity, Operation, SyncedObject
from ..outcomes import Outcome


class PushInterrupted(Exception):
    """A push that sends its rows one request at a time failed part-way.

    ``outcomes`` are those of the rows that went through; ``error`` is what
    stopped the push, and is about the rows left.
    """

    def __init__(self, outcomes: dict[int, Outcome], error: Exception) -> None:
        super().__init__(str(error))
        self.outcomes = outcomes
        self.error = error


class Handler(ABC):
    entity: ClassVar[Entity]
    model: ClassVar[type[SyncedObject]]
    select_related: ClassVar[tuple[str, ...]] = ()
    """Relations the claim loads with the rows (what payloads read)."""
    scope: ClassVar[Q] = Q()
    """The rows of ``model`` this handler pushes (all of them by default)."""

    def related(self) -> tuple[str | Prefetch[Any], ...]:
        """What a resync loads for the rows it pushes as it staged them: what payloads and
        identifiers read (``select_related``, by default)."""
        return self.select_related

    def batch_limit(self, operation: Operation) -> int | None:
        """Most rows one :meth:`push` may take for ``operation`` (``None``: the claim's size)."""
        return None

    def may_exist(self, row: SyncedObject) -> bool:
        """Whether the target may have ``row`` (a delete of a row it cannot have is dropped)."""
        return bool(row.octy_id)

    @abstractmethod
    def identifier(self, row: SyncedObject) -> str:
        """The row's own id, as error messages show it (``customer_id``, ``item_id``...)."""

    def find_remote_ids(self, rows: Sequence[SyncedObject]) -> dict[int, str]:
        """The target's ids of those ``rows`` it has, looked up by the rows' own ids.

        For rows a create was sent for but whose id never came back, before
        their deletion is dropped. By default the target is not asked: ``{}``.
        """
        return {}

    @abstractmethod
    def push(self, operation: Operation, rows: Sequence[SyncedObject]) -> dict[int, Outcome]:
        """Send ``rows`` and return an outcome per row id.

        Raise the target's error if the request as a whole failed; a row left
        out of the answer is retried.
        """
