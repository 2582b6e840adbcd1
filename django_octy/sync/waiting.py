"""What an outstanding row waits on before it can be pushed, and what can never come.

An event waits for its profile to have an Octy id and, when its event type is
declared, for that type to be created in Octy; an Octopus contact waits for
its company (or individual) to have an identity in the CRM. Such a row is not
due (:mod:`.pending`), and the admin and ``octy_status`` say what it waits on.

A dependency whose removal was requested will never come (an event type
being replaced, deleted only to be created again, is not removed): the row is
due again, and its handler fails it with :func:`deleted_dependencies`' reason
rather than letting it wait forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..models import Entity, Event, EventType, OctopusEntry, Replacement, SyncedObject, SyncState


def _event_types(*, removed: bool) -> QuerySet[EventType]:
    """An event's event type rows that are removed for good, or that are not.

    A replaced definition is deleted from Octy only to be created again
    (:mod:`django_octy.definitions.replacement`): it is not removed.
    """
    replaced = Exists(Replacement.objects.filter(entity=Entity.EVENT_TYPE, row_id=OuterRef("pk")))
    removal = Q(deletion_requested=True) & ~Q(replaced)
    return EventType.objects.filter(
        removal if removed else ~removal, event_type=OuterRef("event_type")
    )


@dataclass(frozen=True)
class Dependency:
    """One thing the rows of a model may wait on.

    ``blocked`` selects the rows whose dependency is neither there yet nor
    gone; ``gone`` those whose dependency was removed; ``relation`` leads from
    a row to the mirror row it waits on (``None``: looked up by ``event_type``).
    """

    name: str
    label: str
    blocked: Q
    gone: Q
    gone_reason: str
    relation: str | None


DEPENDENCIES: dict[type[SyncedObject], tuple[Dependency, ...]] = {
    Event: (
        Dependency(
            "profile",
            "its profile",
            Q(profile__octy_id__isnull=True, profile__deletion_requested=False),
            Q(profile__deletion_requested=True),
            "its profile was deleted before the event reached Octy",
            "profile",
        ),
        Dependency(
            "event_type",
            "its event type",
            Q(Exists(_event_types(removed=False).exclude(state=SyncState.SYNCED))),
            Q(Exists(_event_types(removed=True))),
            "its event type was deleted before the event reached Octy",
            None,
        ),
    ),
    OctopusEntry: (
        Dependency(
            "parent",
            "its company or individual",
            Q(parent__isnull=False, parent__octy_id__isnull=True, parent__deletion_requested=False),
            Q(parent__deletion_requested=True),
            "its company or individual was deleted before the entry reached the CRM",
            "parent",
        ),
    ),
}


def dependencies(model: type[SyncedObject]) -> tuple[Dependency, ...]:
    return DEPENDENCIES.get(model, ())


def not_blocked(model: type[SyncedObject]) -> Q:
    """Rows of ``model`` that wait on nothing (a dependency that is gone no longer counts)."""
    condition = Q()
    for dependency in dependencies(model):
        condition &= ~dependency.blocked
    return condition


def deleted_dependencies(rows: Sequence[SyncedObject]) -> dict[int, str]:
    """The rows among ``rows`` that wait on something deleted, with the reason (one query each)."""
    if not rows:
        return {}
    model = type(rows[0])
    manager = model._default_manager.filter(pk__in=[row.pk for row in rows])
    found: dict[int, str] = {}
    for dependency in dependencies(model):
        for pk in manager.filter(dependency.gone).values_list("pk", flat=True):
            found.setdefault(pk, dependency.gone_reason)
    return found


def waiting_on(row: SyncedObject) -> list[str]:
    """What the outstanding ``row`` waits on, in words, with each dependency's own state."""
    if not row.is_dirty:
        return []
    rows = type(row)._default_manager.filter(pk=row.pk)
    return [
        f"{dependency.label} {describe(blocking_row(row, dependency))}"
        for dependency in dependencies(type(row))
        if rows.filter(dependency.blocked).exists()
    ]


def blocking_row(row: SyncedObject, dependency: Dependency) -> SyncedObject | None:
    if dependency.relation is not None:
        related: SyncedObject | None = getattr(row, dependency.relation)
        return related
    assert isinstance(row, Event)
    return EventType.objects.filter(event_type=row.event_type).first()


def describe(row: SyncedObject | None) -> str:
    """A dependency as the reason names it: which one, its state, and its error if it failed."""
    if row is None:
        return ""
    text = f"{row} ({SyncState(row.state).label.lower()}"
    if row.state == SyncState.FAILED and row.last_error:
        text += f": {row.last_error}"
    return text + ")"


@dataclass
class Waits:
    """How many outstanding rows of an entity wait on one dependency, and on which rows."""

    label: str
    rows: int
    blocking: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"rows": self.rows, "waiting_for": self.label, "on": self.blocking}


def waits(
    model: type[SyncedObject], outstanding: QuerySet[Any], shown: int = 5
) -> dict[str, Waits]:
    """Per dependency: how many outstanding rows wait on it, and ``shown`` of what they wait on."""
    found = {}
    for dependency in dependencies(model):
        blocked = outstanding.filter(dependency.blocked)
        count = blocked.count()
        if count:
            found[dependency.name] = Waits(
                dependency.label, count, blocking_rows(blocked, dependency, shown)
            )
    return found


def blocking_rows(blocked: QuerySet[Any], dependency: Dependency, shown: int) -> list[str]:
    if dependency.relation is not None:
        related = blocked.model._meta.get_field(dependency.relation).related_model
        assert isinstance(related, type) and issubclass(related, SyncedObject)
        ids = blocked.order_by().values(dependency.relation).distinct()[:shown]
        targets: QuerySet[Any] = related._default_manager.filter(pk__in=ids).order_by("pk")
    else:
        names = blocked.order_by().values("event_type").distinct()[:shown]
        targets = EventType.objects.filter(event_type__in=names).order_by("pk")
    return [describe(target) for target in targets]
