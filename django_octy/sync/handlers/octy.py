"""The Octy handlers: one per entity, over :class:`~django_octy.client.OctyClient`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from django.db.models import Prefetch

from ...client import (
    BatchResult,
    OctyAPIError,
    OctyAuthError,
    OctyBadRequest,
    OctyClient,
    OctyError,
    OctyNotFound,
)
from ...client.client import listable
from ...models import (
    Entity,
    Event,
    EventType,
    Item,
    MessageTemplate,
    Operation,
    Profile,
    Segment,
    SyncedObject,
    filled,
)
from ..outcomes import Outcome, Rejected, Retry, Synced
from ..waiting import deleted_dependencies
from . import Handler

JSON = dict[str, Any]

NOT_IN_ANSWER = "Octy's answer did not mention this object"


def rejected(operation: Operation, error: Exception) -> Rejected:
    """The outcome of a row Octy refused with ``error`` (its status, reason and messages)."""
    if not isinstance(error, OctyError):
        return Rejected(operation, f"{type(error).__name__}: {error}")
    return Rejected(
        operation,
        str(error),
        http_status=error.status,
        reason=error.reason,
        messages=tuple(error.error_messages),
        extended_help=next(iter(error.extended_help), ""),
    )


class OctyHandler(Handler):
    """An Octy resource written in batches, whose answers name each object.

    A new object is known by ``natural_key`` (a column of the row and a key of
    the payload); once created, by Octy's id under ``remote_id``. A create that
    Octy refuses looks the object up by that key, whatever Octy's words were (it
    refuses ``charged``, built in, in wording of its own): one Octy has already
    is adopted, its id kept, and updated (or, where Octy cannot update, taken as
    is); the others keep Octy's refusal.
    """

    natural_key: ClassVar[str]
    remote_id: ClassVar[str]
    updatable: ClassVar[bool] = True

    def __init__(self, client: OctyClient) -> None:
        self.client = client

    def identifier(self, row: SyncedObject) -> str:
        return str(getattr(row, self.natural_key))

    def create_payload(self, row: Any) -> JSON:
        raise NotImplementedError

    def update_payload(self, row: Any) -> JSON:
        return {self.remote_id: row.octy_id, **self.create_payload(row)}

    def send_create(self, payloads: list[JSON]) -> BatchResult:
        raise NotImplementedError

    def send_update(self, payloads: list[JSON]) -> BatchResult:
        raise NotImplementedError

    def send_delete(self, ids: list[str]) -> BatchResult:
        raise NotImplementedError

    def find_existing(self, keys: list[str]) -> Iterable[JSON]:
        """Octy's records for these natural keys (others may come along)."""
        raise NotImplementedError

    def push(self, operation: Operation, rows: Sequence[SyncedObject]) -> dict[int, Outcome]:
        if operation == Operation.CREATE:
            return self.create(rows)
        if operation == Operation.UPDATE:
            return self.update(rows)
        result = self.send_delete([str(row.octy_id) for row in rows])
        return self.match(Operation.DELETE, rows, result, by_octy_id=True)

    def create(self, rows: Sequence[SyncedObject]) -> dict[int, Outcome]:
        result = self.send_create([self.create_payload(row) for row in rows])
        outcomes = self.match(Operation.CREATE, rows, result, by_octy_id=False)
        refused = [row for row in rows if isinstance(outcomes[row.pk], Rejected)]
        if refused:
            outcomes.update(self.recover(refused))
        return outcomes

    def update(self, rows: Sequence[SyncedObject]) -> dict[int, Outcome]:
        if not self.updatable:
            message = (
                f"Octy cannot change a {Entity(self.entity).label.lower()} once created; "
                "delete it and create it again."
            )
            return {row.pk: Rejected(Operation.UPDATE, message) for row in rows}
        result = self.send_update([self.update_payload(row) for row in rows])
        return self.match(Operation.UPDATE, rows, result, by_octy_id=True)

    def existing(self, keys: list[str]) -> list[JSON]:
        """Octy's records for these natural keys; none when its lookup finds none (a 400)."""
        try:
            return list(self.find_existing(keys))
        except (OctyBadRequest, OctyNotFound):
            return []

    def records_of(self, rows: Sequence[SyncedObject]) -> dict[int, JSON]:
        """Octy's records of those ``rows`` it has, by row id, looked up by natural key."""
        wanted = {self.identifier(row): row for row in rows}
        found: dict[int, JSON] = {}
        for record in self.existing(list(wanted)):
            row = wanted.get(str(record.get(self.natural_key)))
            if row is not None and record.get(self.remote_id):
                found[row.pk] = record
        return found

    def find_remote_ids(self, rows: Sequence[SyncedObject]) -> dict[int, str]:
        return {pk: str(record[self.remote_id]) for pk, record in self.records_of(rows).items()}

    def recover(self, rows: Sequence[SyncedObject]) -> dict[int, Outcome]:
        """Adopt the objects a create found already in Octy (the rows keep their refusal else)."""
        found = self.records_of(rows)
        for row in rows:
            if row.pk in found:
                row.octy_id = str(found[row.pk][self.remote_id])
        if not self.updatable:
            return {pk: Synced(str(record[self.remote_id]), record) for pk, record in found.items()}
        return self.update([row for row in rows if row.pk in found]) if found else {}

    def match(
        self,
        operation: Operation,
        rows: Sequence[SyncedObject],
        result: BatchResult,
        *,
        by_octy_id: bool,
    ) -> dict[int, Outcome]:
        """An outcome per row from a batch answer; rows it does not mention are retried."""
        key: Callable[[SyncedObject], str] = (
            (lambda row: str(row.octy_id)) if by_octy_id else self.identifier
        )
        answer_key = self.remote_id if by_octy_id else self.natural_key
        by_key = {key(row): row for row in rows}
        outcomes: dict[int, Outcome] = {}
        for entry in result.succeeded:
            row = by_key.get(str(entry.get(answer_key)))
            if row is not None:
                octy_id = entry.get(self.remote_id) or row.octy_id
                deleted = operation == Operation.DELETE
                outcomes[row.pk] = Synced(None if deleted else str(octy_id), entry, deleted)
        for failure in result.failed:
            row = by_key.get(failure.identifier or "")
            if row is None and failure.index is not None and failure.index < len(rows):
                row = rows[failure.index]
            if row is not None:
                outcomes[row.pk] = Rejected(operation, failure.message, messages=(failure.message,))
        return {row.pk: outcomes.get(row.pk, Retry(NOT_IN_ANSWER)) for row in rows}


class EventTypeHandler(OctyHandler):
    entity = Entity.EVENT_TYPE
    model = EventType
    natural_key = "event_type"
    remote_id = "event_type_id"
    updatable = False

    def create_payload(self, row: EventType) -> JSON:
        return {"event_type": row.event_type, "event_properties": list(row.event_properties)}

    def send_create(self, payloads: list[JSON]) -> BatchResult:
        return self.client.create_event_types(payloads)

    def send_delete(self, ids: list[str]) -> BatchResult:
        return self.client.delete_event_types(ids)

    def find_existing(self, keys: list[str]) -> Iterable[JSON]:
        return self.client.get_event_types()


class ProfileHandler(OctyHandler):
    entity = Entity.PROFILE
    model = Profile
    natural_key = "customer_id"
    remote_id = "profile_id"

    def create_payload(self, row: Profile) -> JSON:
        return {
            "customer_id": row.customer_id,
            "has_charged": row.has_charged,
            "profile_data": filled(row.profile_data),
            "platform_info": filled(row.platform_info),
        }

    def update_payload(self, row: Profile) -> JSON:
        payload = super().update_payload(row)
        return {**payload, "status": row.status} if row.status else payload

    def send_create(self, payloads: list[JSON]) -> BatchResult:
        return self.client.create_profiles(payloads)

    def send_update(self, payloads: list[JSON]) -> BatchResult:
        return self.client.update_profiles(payloads)

    def send_delete(self, ids: list[str]) -> BatchResult:
        return self.client.delete_profiles(ids)

    def find_existing(self, keys: list[str]) -> Iterable[JSON]:
        # Customer ids are looked up in the metadata list, as octy-shopify does; one with a
        # comma cannot go in a list, and is looked up alone in the profiles, as it also does.
        listed = [key for key in keys if listable(key)]
        for meta in self.client.get_profile_metadata(listed) if listed else ():
            profile = meta.get("profile") or {}
            if profile.get("profile_exists"):
                yield profile
        alone = [key for key in keys if not listable(key)]
        if alone:
            yield from self.client.get_profiles(alone)


class ItemHandler(OctyHandler):
    """Octy knows an item by its ``item_id`` only, so that is its Octy id too."""

    entity = Entity.ITEM
    model = Item
    natural_key = "item_id"
    remote_id = "item_id"

    def create_payload(self, row: Item) -> JSON:
        return {
            "item_id": row.item_id,
            "item_category": row.item_category,
            "item_name": row.item_name,
            "item_description": row.item_description,
            "item_price": row.item_price,
        }

    def update_payload(self, row: Item) -> JSON:
        payload = self.create_payload(row)
        return {**payload, "status": row.status} if row.status else payload

    def send_create(self, payloads: list[JSON]) -> BatchResult:
        return self.client.create_items(payloads)

    def send_update(self, payloads: list[JSON]) -> BatchResult:
        return self.client.update_items(payloads)

    def send_delete(self, ids: list[str]) -> BatchResult:
        return self.client.delete_items(ids)

    def find_existing(self, keys: list[str]) -> Iterable[JSON]:
        return self.client.get_items(keys)


class SegmentHandler(OctyHandler):
    """Octy creates one segment per request and cannot update one."""

    entity = Entity.SEGMENT
    model = Segment
    natural_key = "segment_name"
    remote_id = "segment_id"
    updatable = False

    def batch_limit(self, operation: Operation) -> int | None:
        return 1 if operation == Operation.CREATE else None

    def create_payload(self, row: Segment) -> JSON:
        payload = {
            "segment_name": row.segment_name,
            "segment_type": row.segment_type,
            "segment_sub_type": row.segment_sub_type,
            "segment_timeframe": row.segment_timeframe,
            "event_sequence": row.event_sequence,
        }
        if row.profile_property_name:
            payload["profile_property_name"] = row.profile_property_name
            payload["profile_property_value"] = row.profile_property_value
        return payload

    def create(self, rows: Sequence[SyncedObject]) -> dict[int, Outcome]:
        (row,) = rows
        assert isinstance(row, Segment)
        try:
            answer = self.client.create_segment(self.create_payload(row))
        except OctyAPIError as error:
            if error.retryable or isinstance(error, OctyAuthError):
                raise
            return self.recover(rows) or {row.pk: rejected(Operation.CREATE, error)}
        return {row.pk: Synced(str(answer.get(self.remote_id)), answer)}

    def send_delete(self, ids: list[str]) -> BatchResult:
        return self.client.delete_segments(ids)

    def find_existing(self, keys: list[str]) -> Iterable[JSON]:
        return self.client.get_segments()


class MessageTemplateHandler(OctyHandler):
    entity = Entity.TEMPLATE
    model = MessageTemplate
    natural_key = "friendly_name"
    remote_id = "template_id"

    def create_payload(self, row: MessageTemplate) -> JSON:
        payload = {
            "friendly_name": row.friendly_name,
            "template_type": row.template_type,
            "title": row.title,
            "content": row.content,
            "required_data": row.required_data,
            "default_values": row.default_values,
            "metadata": row.metadata,
        }
        return {**payload, "status": row.status} if row.status else payload

    def update_payload(self, row: MessageTemplate) -> JSON:
        # Octy requires a status on every template update.
        return {**super().update_payload(row), "status": row.status or "active"}

    def send_create(self, payloads: list[JSON]) -> BatchResult:
        return self.client.create_templates(payloads)

    def send_update(self, payloads: list[JSON]) -> BatchResult:
        return self.client.update_templates(payloads)

    def send_delete(self, ids: list[str]) -> BatchResult:
        return self.client.delete_templates(ids)

    def find_existing(self, keys: list[str]) -> Iterable[JSON]:
        return self.client.get_templates()


class EventHandler(Handler):
    """Events are created in batches and never changed.

    Octy's failures carry no event id; the client gives their position in
    the batch, and the created events come back in the order they were sent.
    """

    entity = Entity.EVENT
    model = Event
    select_related = ("profile", "profile__parent")

    def __init__(self, client: OctyClient) -> None:
        self.client = client

    def related(self) -> tuple[str | Prefetch[Any], ...]:
        # Of the profile, only what the payload and the identifier read (not its JSON data).
        profiles = Profile.objects.select_related("parent")
        read = profiles.only("customer_id", "octy_id", "parent__customer_id", "parent__octy_id")
        return (Prefetch("profile", read),)

    def identifier(self, row: SyncedObject) -> str:
        assert isinstance(row, Event)
        return f"{row.event_type} of customer {row.profile.customer_id}"

    def payload(self, row: Event) -> JSON:
        return {
            "event_type": row.event_type,
            # A profile Octy merged away answers to its parent's id only.
            "profile_id": (row.profile.parent or row.profile).octy_id,
            "event_properties": row.event_properties,
            "created_at": row.occurred_at,
        }

    def push(self, operation: Operation, rows: Sequence[SyncedObject]) -> dict[int, Outcome]:
        events = [row for row in rows if isinstance(row, Event)]
        if operation != Operation.CREATE:
            message = "Octy's events are append-only: they cannot be changed or deleted."
            return {row.pk: Rejected(operation, message) for row in events}
        orphans = deleted_dependencies(events)
        sendable = [row for row in events if row.pk not in orphans]
        outcomes = self.create(sendable) if sendable else {}
        orphaned = {pk: Rejected(Operation.CREATE, reason) for pk, reason in orphans.items()}
        return {**outcomes, **orphaned}

    def create(self, events: list[Event]) -> dict[int, Outcome]:
        result = self.client.create_events([self.payload(row) for row in events])
        refused = {failure.index: failure.message for failure in result.failed}
        undeclared = self.undeclared_types(events) if refused else set()
        outcomes: dict[int, Outcome] = {}
        for position, row in enumerate(events):
            if position in refused:
                message = refused[position]
                if row.event_type in undeclared:
                    message += (
                        f" (the event type {row.event_type!r} is not declared in this project: "
                        "declare it as an EventType, or with event_properties on its "
                        "EventSource, and it is created in Octy before its events)"
                    )
                outcomes[row.pk] = Rejected(
                    Operation.CREATE, message, messages=(refused[position],)
                )
        accepted = [row for position, row in enumerate(events) if position not in refused]
        for row, entry in zip(accepted, result.succeeded, strict=False):
            outcomes[row.pk] = Synced(str(entry.get("event_id")), entry)
        return {row.pk: outcomes.get(row.pk, Retry(NOT_IN_ANSWER)) for row in events}

    @staticmethod
    def undeclared_types(events: Sequence[Event]) -> set[str]:
        types = {row.event_type for row in events}
        declared = EventType.objects.filter(event_type__in=types).values_list(
            "event_type", flat=True
        )
        return types - set(declared)


HANDLERS: tuple[Callable[[OctyClient], Handler], ...] = (
    EventTypeHandler,
    ProfileHandler,
    ItemHandler,
    EventHandler,
    SegmentHandler,
    MessageTemplateHandler,
)
"""In the order a flush drains them: what an object needs in Octy comes first."""
