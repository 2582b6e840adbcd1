"""Sources: how a host project's own models become Octy (or Octopus) objects.

A source maps one host model to one kind of Octy object. Subclass
:class:`ProfileSource`, :class:`ItemSource` or :class:`EventSource`
(:class:`OctopusEntrySource` for the Octopus CRM target), name the
host fields declaratively (``<octy field>_field = "host_field"``) or override
the method named after the Octy field, and register it in your app's
``octy.py``::

    from django_octy import sources

    @sources.register(Customer)
    class CustomerSource(sources.ProfileSource):
        customer_id_field = "pk"
        profile_data_fields = ["first_name", "city"]

See ``docs/sources.md``.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar, Generic, TypeVar

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from ..models import (
    DEFAULT_PLATFORM_INFO,
    PARENT_TYPES,
    Entity,
    EntryType,
    Event,
    Item,
    OctopusEntry,
    Profile,
    SyncedObject,
)
from . import payloads
from .registry import AlreadyRegistered, NotRegistered, registry

__all__ = [
    "AlreadyRegistered",
    "EventData",
    "EventSource",
    "ItemSource",
    "MappedEvent",
    "MappingError",
    "NotRegistered",
    "ObjectSource",
    "OctopusEntrySource",
    "ProfileSource",
    "Source",
    "describe",
    "register",
    "to_minor_units",
    "unregister",
]

H = TypeVar("H", bound=models.Model)


def describe(obj: models.Model) -> str:
    """How error messages name a host object: ``shop.Customer pk=42``."""
    return payloads.printable(f"{obj._meta.label} pk={obj.pk}", limit=200)


class MappingError(Exception):
    """A source could not map a host object: names the object and the Octy field."""

    def __init__(self, obj: models.Model, field_name: str, problem: str) -> None:
        self.object_label = describe(obj)
        self.field_name = field_name
        self.problem = payloads.printable(problem)
        super().__init__(f"{self.object_label}: field {field_name!r}: {self.problem}")


def _problem(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(str(message) for message in error.messages)
    return f"{type(error).__name__}: {error}"


def clean_value(
    mirror: type[SyncedObject],
    obj: models.Model,
    field_name: str,
    value: Any,
    mapped_as: str | None = None,
) -> Any:
    """``value`` as the mirror column ``field_name`` stores it, or a :class:`MappingError`.

    The error names ``mapped_as`` when the source calls the value something else.
    """
    column = mirror._meta.get_field(field_name)
    assert isinstance(column, models.Field), f"{field_name} is not a column of {mirror}"
    try:
        return payloads.clean(column, value)
    except ValidationError as error:
        raise MappingError(obj, mapped_as or field_name, _problem(error)) from error


def check_size(obj: models.Model, values: dict[str, Any]) -> None:
    """Raise a :class:`MappingError` naming the field that makes ``values`` too big to send."""
    found = payloads.oversized(values)
    if found is not None:
        field_name, error = found
        raise MappingError(obj, field_name, _problem(error))


def call_mapping(obj: models.Model, field_name: str, method: Callable[[], Any]) -> Any:
    """Run one mapping method; whatever it raises becomes a :class:`MappingError`."""
    try:
        return method()
    except MappingError:
        raise
    except Exception as error:
        raise MappingError(obj, field_name, _problem(error)) from error


def read(obj: models.Model, path: str) -> Any:
    """The value at ``path``: ``"pk"``, ``"city"``, ``"customer__email"``, ``"get_full_name"``.

    A method is called; a ``None`` on the way is the value.
    """
    value: Any = obj
    for part in path.split("__"):
        value = getattr(value, part)
        if value is None:
            return None
    return value() if inspect.ismethod(value) else value


Paths = Sequence[str] | Mapping[str, str]
"""Paths whose values make a JSON object: a list keeps each path as its key, a dict
``{key: path}`` names the keys."""


def read_json(obj: models.Model, paths: Paths) -> dict[str, Any]:
    """``{path: value}`` for the paths (``{name: value}`` for a ``{name: path}`` mapping),
    made JSON-ready (dates and decimals as strings)."""
    named = paths if isinstance(paths, Mapping) else {path: path for path in paths}
    values = {name: read(obj, path) for name, path in named.items()}
    loaded: dict[str, Any] = json.loads(json.dumps(values, cls=DjangoJSONEncoder))
    return loaded


def to_minor_units(amount: Any, exponent: int = 2) -> int:
    """``Decimal("19.99")`` → ``1999``: an amount in the currency's smallest unit."""
    try:
        scaled = Decimal(str(amount)).scaleb(exponent)
        return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError) as error:
        raise ValueError(f"{amount!r} is not an amount") from error


def check_modified_field(model: type[models.Model], path: str) -> None:
    """Raise ``ImproperlyConfigured`` unless ``path`` leads to a date-time field of ``model``."""
    field: Any = None
    owner: Any = model
    for part in path.split("__"):
        try:
            field = owner._meta.get_field(part)
        except (FieldDoesNotExist, AttributeError):  # no such field, or not a relation
            field = None
            break
        owner = field.related_model
    if not isinstance(field, models.DateTimeField):
        raise ImproperlyConfigured(
            f"modified_field {path!r} of the source of {model._meta.label} is not a "
            "DateTimeField of the model (use one with auto_now=True)."
        )


class Source(Generic[H]):
    """Maps instances of one host model to Octy objects of one entity.

    ``m2m_fields`` names many-to-many fields of the host model whose changes
    re-sync the object. ``modified_field`` names its modification time (a
    ``DateTimeField(auto_now=True)``): the periodic reconcile then records the
    changes no signal saw (``queryset.update()``, a crash before ``post_save``).
    ``prefetch_related`` holds lookups (names or ``Prefetch`` objects) that a
    resync loads for each chunk of host objects it reads, a query per lookup and
    chunk, for a mapping that reads related objects through ``.all()`` or a
    ``Prefetch``'s ``to_attr``.
    """

    entity: ClassVar[Entity]
    mirror: ClassVar[type[SyncedObject]]
    m2m_fields: ClassVar[Sequence[str]] = ()
    modified_field: ClassVar[str | None] = None
    prefetch_related: ClassVar[Sequence[str | models.Prefetch[Any]]] = ()

    def __init__(self, model: type[H]) -> None:
        self.model = model
        if self.modified_field:
            check_modified_field(model, self.modified_field)

    def modified_at(self, obj: H) -> datetime | None:
        """``obj``'s modification time, if the source names one (and it holds a time yet)."""
        value = read(obj, self.modified_field) if self.modified_field else None
        return value if isinstance(value, datetime) else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {self.model._meta.label}>"


class ObjectSource(Source[H]):
    """A source whose every host object is one mirror row (a profile, an item).

    Each name in ``fields`` is a mirror column and a method of the source that
    returns its value for a host object.
    """

    natural_key: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]

    def should_sync(self, obj: H) -> bool:
        """Whether ``obj`` belongs in Octy; ``False`` removes it from Octy (or never sends it)."""
        return True

    def map(self, obj: H) -> dict[str, Any]:
        """The mirror columns for ``obj``, checked; raises :class:`MappingError`."""
        values = {}
        for name in self.fields:
            method = getattr(self, name)
            value = call_mapping(obj, name, lambda method=method: method(obj))  # type: ignore[misc]
            values[name] = self.clean(obj, name, value)
        check_size(obj, values)
        if self.modified_field:
            values["source_modified_at"] = self.modified_at(obj)
        return values

    def clean(self, obj: H, name: str, value: Any) -> Any:
        """``value`` as the mirror column ``name`` stores it, or a :class:`MappingError`."""
        return clean_value(self.mirror, obj, name, value)


class ProfileSource(ObjectSource[H]):
    """A host model whose instances are Octy customer profiles.

    Octy requires at least one key/value pair in ``profile_data`` and in
    ``platform_info``: without ``platform_info_fields`` a profile's
    ``platform_info`` is :data:`~django_octy.models.DEFAULT_PLATFORM_INFO`, and an
    empty object is never sent (check ``django_octy.W005`` names a source that maps none).
    """

    entity = Entity.PROFILE
    mirror = Profile
    natural_key = "customer_id"
    fields = ("customer_id", "profile_data", "platform_info", "has_charged")

    customer_id_field: ClassVar[str] = "pk"
    profile_data_fields: ClassVar[Paths] = ()
    platform_info_fields: ClassVar[Paths] = ()
    has_charged_field: ClassVar[str | None] = None

    def customer_id(self, obj: H) -> str:
        return str(read(obj, self.customer_id_field))

    def profile_data(self, obj: H) -> dict[str, Any]:
        return read_json(obj, self.profile_data_fields)

    def platform_info(self, obj: H) -> dict[str, Any]:
        if not self.platform_info_fields:
            return dict(DEFAULT_PLATFORM_INFO)
        return read_json(obj, self.platform_info_fields)

    def has_charged(self, obj: H) -> bool:
        return bool(read(obj, self.has_charged_field)) if self.has_charged_field else False


class ItemSource(ObjectSource[H]):
    """A host model whose instances are Octy catalogue items.

    ``item_price_field`` names a decimal amount, sent in minor units
    (``price_exponent`` digits: 19.99 → 1999).
    """

    entity = Entity.ITEM
    mirror = Item
    natural_key = "item_id"
    fields = ("item_id", "item_category", "item_name", "item_description", "item_price")

    item_id_field: ClassVar[str] = "pk"
    item_category_field: ClassVar[str | None] = None
    item_name_field: ClassVar[str | None] = None
    item_description_field: ClassVar[str | None] = None
    item_price_field: ClassVar[str | None] = None
    price_exponent: ClassVar[int] = 2

    def _text(self, obj: H, path: str | None) -> str:
        value = read(obj, path) if path else None
        return "" if value is None else str(value)

    def item_id(self, obj: H) -> str:
        return self._text(obj, self.item_id_field)

    def item_category(self, obj: H) -> str:
        return self._text(obj, self.item_category_field)

    def item_name(self, obj: H) -> str:
        return self._text(obj, self.item_name_field)

    def item_description(self, obj: H) -> str:
        return self._text(obj, self.item_description_field)

    def item_price(self, obj: H) -> int:
        if not self.item_price_field:
            return 0
        return to_minor_units(read(obj, self.item_price_field), self.price_exponent)

    def map(self, obj: H) -> dict[str, Any]:
        values = super().map(obj)
        if values["item_price"] < 0:
            raise MappingError(obj, "item_price", "a price is zero or more (in minor units)")
        return values


class OctopusEntrySource(ObjectSource[H]):
    """A host model whose instances are address-book entries of the Octopus CRM.

    ``kind`` is the entry's type (Company, Individual or Contact);
    ``data_fields`` maps AbEntry fields to host paths
    (``{"CompanyName": "name"}``), or override :meth:`data`. A contact names
    its company (or individual) with ``parent_field``, the path to a host
    object registered with an entry source of its own: that entry is pushed
    first, and recorded first if it has no row yet. ``reference`` is the
    host's unique name for the entry (``shop.company:7`` by default).
    """

    entity = Entity.OCTOPUS_ENTRY
    mirror = OctopusEntry
    natural_key = "reference"
    fields = ("entry_type", "reference", "data", "parent")

    kind: ClassVar[EntryType]
    data_fields: ClassVar[Mapping[str, str]] = {}
    parent_field: ClassVar[str | None] = None

    def entry_type(self, obj: H) -> str:
        return self.kind

    def reference(self, obj: H) -> str:
        return f"{obj._meta.label_lower}:{obj.pk}"

    def data(self, obj: H) -> dict[str, Any]:
        return read_json(obj, self.data_fields)

    def parent(self, obj: H) -> OctopusEntry | None:
        if self.kind != EntryType.CONTACT:
            return None
        parent = read(obj, self.parent_field) if self.parent_field else None
        if parent is None:
            raise MappingError(obj, "parent", "a contact needs a company or an individual")
        from .recording import mirror_row_of  # the recording module imports this one

        source = registry.source_for(type(parent), Entity.OCTOPUS_ENTRY)
        if isinstance(source, OctopusEntrySource) and source.kind not in PARENT_TYPES:
            raise MappingError(obj, "parent", f"{describe(parent)} is a contact, not a parent")
        row_id = mirror_row_of(parent, source, obj, "parent", "an OctopusEntrySource")
        return OctopusEntry.objects.get(pk=row_id)

    def clean(self, obj: H, name: str, value: Any) -> Any:
        return value if name == "parent" else super().clean(obj, name, value)


@dataclass(frozen=True)
class EventData:
    """One event a host object records.

    ``customer`` is an instance of a model registered with a
    :class:`ProfileSource`, a :class:`~django_octy.models.Profile`, or a
    ``customer_id``. ``key`` tells events of one object apart for
    de-duplication (default: their position in :meth:`EventSource.events`).
    """

    customer: models.Model | str
    properties: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    event_type: str | None = None
    key: str | None = None


class EventSource(Source[H]):
    """A host model whose instances record customer events (append-only).

    An object records its events when :meth:`should_record` says so; saving it
    again never records them twice. Setting ``event_properties`` declares the
    event type in the project, so that the flush creates it in Octy first.
    """

    entity = Entity.EVENT
    mirror = Event

    event_type: ClassVar[str]
    event_properties: ClassVar[Sequence[str] | None] = None
    customer_field: ClassVar[str] = "customer"
    properties_fields: ClassVar[Paths] = ()
    created_at_field: ClassVar[str | None] = None

    def should_record(self, obj: H) -> bool:
        return True

    def events(self, obj: H) -> Iterable[EventData]:
        created_at = read(obj, self.created_at_field) if self.created_at_field else None
        return [
            EventData(
                customer=read(obj, self.customer_field),
                properties=read_json(obj, self.properties_fields),
                created_at=created_at,
            )
        ]

    def map_events(self, obj: H) -> list[MappedEvent]:
        """The events ``obj`` records, checked; raises :class:`MappingError`."""
        if not call_mapping(obj, "should_record", lambda: self.should_record(obj)):
            return []
        events = call_mapping(obj, "events", lambda: list(self.events(obj)))
        return [self.map_event(obj, position, data) for position, data in enumerate(events)]

    def map_event(self, obj: H, position: int, data: EventData) -> MappedEvent:
        if not isinstance(data, EventData):
            raise MappingError(obj, "events", f"must yield EventData, got {type(data).__name__}")
        properties = clean_value(Event, obj, "event_properties", data.properties)
        try:
            payloads.check_event_properties(properties)
        except ValidationError as error:
            raise MappingError(obj, "event_properties", _problem(error)) from error
        mapped = MappedEvent(
            customer=checked_customer(obj, data.customer),
            event_type=clean_value(
                Event, obj, "event_type", first_given(data.event_type, self.event_type)
            ),
            event_properties=properties,
            occurred_at=clean_value(
                Event, obj, "occurred_at", data.created_at or timezone.now(), mapped_as="created_at"
            ),
            dedupe_key=clean_value(
                Event,
                obj,
                "dedupe_key",
                f"{obj._meta.label_lower}:{obj.pk}:{first_given(data.key, position)}",
                mapped_as="key",
            ),
        )
        check_size(obj, {"event_type": mapped.event_type, "event_properties": properties})
        return mapped


def first_given(value: Any, default: Any) -> Any:
    """``value`` unless it is ``None``: an empty string is a value to check, not a default."""
    return default if value is None else value


def checked_customer(obj: models.Model, customer: Any) -> models.Model | str:
    """An event's customer: a host object, a Profile, or a customer_id Octy takes."""
    if isinstance(customer, models.Model):
        return customer
    if customer is None:
        raise MappingError(obj, "customer", "the event has no customer")
    if not isinstance(customer, str):
        kind = type(customer).__name__
        raise MappingError(obj, "customer", f"must be a host object or a customer_id, got {kind}")
    customer_id: str = clean_value(Profile, obj, "customer_id", customer, mapped_as="customer")
    return customer_id


@dataclass(frozen=True)
class MappedEvent:
    """An :class:`EventData` checked against the :class:`~django_octy.models.Event` columns."""

    customer: models.Model | str
    event_type: str
    event_properties: dict[str, Any]
    occurred_at: datetime
    dedupe_key: str


S = TypeVar("S", bound=type[Source[Any]])


def register(model: type[models.Model]) -> Callable[[S], S]:
    """Class decorator: ``@sources.register(Customer)`` over a source class."""

    def decorator(source_class: S) -> S:
        registry.register(model, source_class(model))
        return source_class

    return decorator


def unregister(model: type[models.Model], source_class: type[Source[Any]] | None = None) -> None:
    """Stop mirroring ``model`` (only through ``source_class``, when given)."""
    registry.unregister(model, source_class)
