"""Hostile values from host sources, mixed with good objects, through the real engine.

The shop's sources (``tests/shop/octy.py``) are replaced, for these tests, by
subclasses whose mappings return whatever a host object carries in
``octy_overrides``: huge or over-long strings, NUL characters, lone
surrogates, NaN and infinities, deep nesting, non-JSON types, wrong types,
empty ids. Each example saves the objects (each save writes a change to the
log), flushes to the fake Octy over HTTP (the flush maps the objects, then
pushes), and checks that every bad object failed alone, at the edge, with an
error row naming the object and the field, and that every good one reached
Octy unchanged.

Each example runs in a savepoint rolled back afterwards, and the fake is
reset, so that examples start from the same empty database and Octy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import models, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_octy.models import Entity, Event, Item, Profile, SyncError, SyncState, filled
from django_octy.sync.flush import flush_all
from django_octy.sync.payloads import MAX_DEPTH, MAX_OBJECT_BYTES
from django_octy.sync.registry import registry
from django_octy.sync.sources import EventData, Source, describe
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, Order, OrderLine, Product
from tests.shop.octy import CustomerSource, OrderSource, ProductSource

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

OVERRIDES: dict[tuple[type[models.Model], Any], dict[str, Any]] = {}
"""Per host object (its model and primary key): ``{field: value its mapping returns}``.

Kept outside the instance: the flush maps the object as it loads it again.
"""


def overrides_of(obj: models.Model) -> dict[str, Any]:
    return OVERRIDES.get((type(obj), obj.pk), {})


class Overridable:
    """Each mapping method of the source returns the object's override, when it has one."""

    fields: tuple[str, ...]

    def __init__(self, model: type[models.Model]) -> None:
        super().__init__(model)  # type: ignore[call-arg]
        for name in self.fields:
            setattr(self, name, self._overridable(name, getattr(self, name)))

    @staticmethod
    def _overridable(name: str, mapping: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def mapped(obj: models.Model) -> Any:
            overrides = overrides_of(obj)
            return overrides[name] if name in overrides else mapping(obj)

        return mapped


class HostileCustomerSource(Overridable, CustomerSource):
    pass


class HostileProductSource(Overridable, ProductSource):
    pass


class HostileOrderSource(OrderSource):
    """The order's events, with their ``EventData`` fields overridden."""

    def events(self, order: Order) -> list[EventData]:
        return [replace(data, **overrides_of(order)) for data in super().events(order)]


HOSTILE_SOURCES: dict[type[models.Model], type[Source[Any]]] = {
    Customer: HostileCustomerSource,
    Product: HostileProductSource,
    Order: HostileOrderSource,
}


@pytest.fixture
def hostile_sources() -> Iterator[None]:
    """Swap the shop's sources for the overridable ones, for one test."""
    shop = {model: registry.sources_for(model) for model in HOSTILE_SOURCES}
    for model, source_class in HOSTILE_SOURCES.items():
        registry.unregister(model)
        registry.register(model, source_class(model))
    yield
    for model, sources in shop.items():
        registry.unregister(model)
        for source in sources:
            registry.register(model, source)


@pytest.fixture
def octy(octy_settings: FakeOcty, settings: Any, hostile_sources: None) -> FakeOcty:
    settings.OCTY = {**settings.OCTY, "MAX_RETRIES": 0, "TIMEOUT": 10.0}
    return octy_settings


# Values. "Good" ones Octy takes and must get unchanged; "bad" ones must fail their object.

SAFE_CHARACTERS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
good_text = st.text(SAFE_CHARACTERS, max_size=40)
good_name = st.text(SAFE_CHARACTERS, min_size=1, max_size=40)
good_integers = st.integers(-(2**63), 2**63 - 1)
good_scalars = (
    good_text | good_integers | st.booleans() | st.floats(allow_nan=False, allow_infinity=False)
)
good_json = st.recursive(
    st.none() | good_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(good_text, inner, max_size=3),
    max_leaves=10,
)
good_objects = st.dictionaries(good_text, good_json, max_size=4)
good_moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"deeper": value}
    return value


def with_character(character: str) -> st.SearchStrategy[str]:
    return st.builds(lambda a, b: f"{a}{character}{b}", good_text, good_text)


nul_text = with_character("\x00")
surrogate_text = st.builds(
    lambda a, s, b: f"{a}{s}{b}", good_text, st.characters(categories=("Cs",)), good_text
)
too_long_ids = st.integers(256, 2000).map(lambda n: "x" * n)
bad_ids = st.sampled_from(["", None, b"bytes", 12.5, ["a"], {"a": 1}]) | too_long_ids | nul_text
bad_ids |= surrogate_text
bad_json_values = (
    st.sampled_from(
        [
            math.nan,
            math.inf,
            -math.inf,
            b"bytes",
            Decimal("1.5"),
            {1, 2},
            datetime(2024, 1, 1, tzinfo=UTC),
            {1: "a non-string key"},
            {"\x00": "a NUL in a key"},
            10**5000,
            2**63,
            -(2**63) - 1,
        ]
    )
    | nul_text
    | surrogate_text
    | st.integers(MAX_DEPTH + 1, 300).map(nested)
)
bad_objects = (
    st.sampled_from([[], "text", 7, None])
    | st.builds(lambda key, value: {key: value}, good_text, bad_json_values)
    | st.just({"huge": "x" * MAX_OBJECT_BYTES})
)
bad_texts = nul_text | surrogate_text | st.sampled_from([b"bytes", ["a"], 1.5])
bad_prices = st.sampled_from([-1, 12.5, True, "12", 2**63, Decimal("1.5"), None, math.nan])
bad_properties = st.sampled_from(["text", [], None]) | st.builds(
    lambda value: {"item_id": value},
    st.sampled_from([None, [1], {"a": 1}, math.nan, math.inf]) | nul_text | surrogate_text,
)
bad_customers = st.sampled_from([42, b"bytes", None, ""]) | too_long_ids | nul_text


@dataclass(frozen=True)
class Case:
    """One host object: its kind, the field whose mapping is overridden, and whether it is bad."""

    kind: str
    field: str | None
    value: Any
    bad: bool
    saved_before: bool = False


RENAMES_OCTY_REFUSES = {("item", "item_id")}
"""Good values not tried on objects synced before: see ``test_renaming_a_synced_item``."""


def cases(kind: str, good: dict[str, Any], bad: dict[str, Any]) -> st.SearchStrategy[Case]:
    def case(field: str, value: st.SearchStrategy[Any], is_bad: bool) -> st.SearchStrategy[Case]:
        renamed = not is_bad and (kind, field) in RENAMES_OCTY_REFUSES
        saved_before = st.just(False) if renamed else st.booleans()
        return st.builds(Case, st.just(kind), st.just(field), value, st.just(is_bad), saved_before)

    return st.one_of(
        st.builds(Case, st.just(kind), st.none(), st.none(), st.just(False), st.booleans()),
        *(case(field, value, False) for field, value in good.items()),
        *(case(field, value, True) for field, value in bad.items()),
    )


profile_cases = cases(
    "profile",
    good={
        "customer_id": good_name,
        "profile_data": good_objects,
        "platform_info": good_objects,
        "has_charged": st.booleans(),
    },
    bad={
        "customer_id": bad_ids,
        "profile_data": bad_objects,
        "platform_info": bad_objects,
        "has_charged": st.sampled_from(["maybe", 2, None, []]),
    },
)
item_cases = cases(
    "item",
    good={
        "item_id": good_name,
        "item_name": good_name,
        "item_category": good_name,
        "item_description": good_text,
        "item_price": st.integers(0, 2**63 - 1),
    },
    bad={
        "item_id": bad_ids,
        "item_name": bad_ids,
        "item_category": bad_ids,
        "item_description": bad_texts | st.just("x" * MAX_OBJECT_BYTES),
        "item_price": bad_prices,
    },
)
event_cases = cases(
    "event",
    good={
        "properties": st.fixed_dictionaries({"item_id": good_scalars, "payment_method": good_text}),
        "customer": good_name,
        "created_at": good_moments,
        "key": good_name,
    },
    bad={
        "properties": bad_properties,
        "customer": bad_customers,
        "created_at": st.sampled_from(["yesterday", "2024-13-45 25:00:00", 5, b"x"]),
        "event_type": st.sampled_from(["", ["charged"]]) | too_long_ids,
        "key": too_long_ids,
    },
)

ERROR_FIELD = {"properties": "event_properties"}
"""The field an error names, where it is not the overridden one (EventData calls it otherwise)."""

UNIQUE = {"customer_id", "item_id", "customer", "key"}
"""Fields whose good values are made distinct per object (a shared id is a different story)."""


# Running one example.


@dataclass
class Placed:
    case: Case
    obj: models.Model

    @property
    def error_field(self) -> str:
        field = self.case.field or ""
        return ERROR_FIELD.get(field, field)


def distinct(case: Case, position: int) -> Case:
    if case.bad or case.field not in UNIQUE:
        return case
    return replace(case, value=f"{case.kind[0]}{position}-{case.value}")


def place(case: Case, position: int, buyer: Customer, product: Product) -> Placed:
    """Create the host object of ``case`` (saved once without overrides first, if asked)."""
    overrides = {case.field: case.value} if case.field else {}
    if case.kind == "profile":
        customer = Customer(email=f"c{position}@example.com", first_name="Ann", city="Oslo")
        return Placed(case, save(customer, overrides, case.saved_before))
    if case.kind == "item":
        item = Product(sku=f"sku-{position}", name="Tea", category="drinks", price=Decimal("2.50"))
        return Placed(case, save(item, overrides, case.saved_before))
    order = Order.objects.create(customer=buyer, payment_method="card")
    OrderLine.objects.create(order=order, product=product)
    order.paid, order.paid_at = True, datetime(2024, 5, 1, 12, tzinfo=UTC)
    return Placed(case, save(order, overrides, saved_before=False))


def save(obj: models.Model, overrides: dict[str, Any], saved_before: bool) -> models.Model:
    if saved_before:
        obj.save()
        assert not flush_all().stopped
    obj.save()
    OVERRIDES[type(obj), obj.pk] = overrides
    return obj


MIRRORS: dict[str, type[Profile] | type[Item]] = {"profile": Profile, "item": Item}


def mirror_of(placed: Placed) -> Any:
    if placed.case.kind == "event":
        return Event.objects.filter(source_id=str(placed.obj.pk)).first()
    return MIRRORS[placed.case.kind].objects.filter(source_id=str(placed.obj.pk)).first()


def assert_failed_alone(placed: Placed, octy: FakeOcty) -> None:
    label = describe(placed.obj)
    errors = list(SyncError.objects.filter(identifier=label))
    assert errors, f"no error row for {label} ({placed.case})"
    naming = f"field {placed.error_field!r}"
    assert any(naming in error.reason for error in errors), (label, naming, errors[0].reason)
    row = mirror_of(placed)
    if placed.case.kind == "event":
        assert row is None, f"{label} recorded an event from a value it could not map"
        return
    if row is not None:  # saved fine before: the row keeps what Octy has, marked failed
        assert row.state == SyncState.FAILED and naming in row.last_error
        assert row.version > row.synced_version
    records = octy.profiles if placed.case.kind == "profile" else octy.items
    expected_in_octy = 1 if placed.case.saved_before else 0
    assert len([r for r in records.values() if r.get("item_id") != "walk-in"]) >= expected_in_octy


FILLED = ("profile_data", "platform_info")


def assert_synced_unchanged(placed: Placed, octy: FakeOcty) -> None:
    row = mirror_of(placed)
    assert row is not None and row.state == SyncState.SYNCED, (placed.case, row and row.last_error)
    assert row.octy_id
    assert not SyncError.objects.filter(identifier=describe(placed.obj)).exists()
    if placed.case.kind == "event":
        (sent,) = [e for e in octy.events if e["event_id"] == row.octy_id]
        assert same_json(sent["event_properties"], row.event_properties)
        if placed.case.field == "properties":
            assert same_json(row.event_properties, placed.case.value)
        return
    record = (octy.profiles if placed.case.kind == "profile" else octy.items)[
        row.customer_id if placed.case.kind == "profile" else row.item_id
    ]
    field = placed.case.field
    if field is not None:
        # An empty profile_data or platform_info goes to Octy as the documented default.
        sent = filled(placed.case.value) if field in FILLED else placed.case.value
        assert same_json(record[field], sent), (field, record[field])
        assert same_json(getattr(row, field), placed.case.value)


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: a boolean is no number and a list no dict.

    Numbers are equal when their JSON texts are the same decimal: PostgreSQL's
    ``jsonb`` keeps ``4.05055242415119e+16`` as the integer ``40505524241511900``.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return Decimal(repr(a)) == Decimal(repr(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def run_example(octy: FakeOcty, examples: list[Case]) -> None:
    octy.reset()
    OVERRIDES.clear()  # a rolled-back example's keys may be taken again
    buyer = Customer.objects.create(email="buyer@example.com", first_name="Bo")
    product = Product.objects.create(sku="walk-in", name="Tea", category="drinks", price=1)
    placed = [
        place(distinct(case, position), position, buyer, product)
        for position, case in enumerate(examples)
    ]
    summary = flush_all()
    assert not summary.stopped
    assert not Profile.objects.filter(state=SyncState.PENDING).exists()
    assert not Item.objects.filter(state=SyncState.PENDING).exists()
    assert not Event.objects.filter(state=SyncState.PENDING).exists()
    for one in placed:
        if one.case.bad:
            assert_failed_alone(one, octy)
        else:
            assert_synced_unchanged(one, octy)
    unexpected = SyncError.objects.exclude(identifier__in=[describe(p.obj) for p in placed])
    assert not unexpected.exists(), list(unexpected.values_list("identifier", "reason"))


class Rollback(Exception):
    """Raised at the end of an example to undo it."""


@settings(
    max_examples=100,
    deadline=None,
    # The database and the fake are reset by hand for each example.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(examples=st.lists(profile_cases | item_cases | event_cases, min_size=1, max_size=5))
def test_bad_objects_fail_alone_naming_the_field_and_good_ones_sync(
    octy: FakeOcty, examples: list[Case]
) -> None:
    try:
        with transaction.atomic():
            run_example(octy, examples)
            raise Rollback
    except Rollback:
        pass


# One regression test per kind of value that got past the mapping before being checked there.

REGRESSIONS = [
    pytest.param(Case("profile", "profile_data", {"score": math.nan}, True), id="nan"),
    pytest.param(Case("profile", "profile_data", {"score": math.inf}, True), id="infinity"),
    pytest.param(Case("profile", "profile_data", {"note": "a\x00b"}, True), id="nul-in-json"),
    pytest.param(Case("profile", "customer_id", "a\x00b", True), id="nul-in-id"),
    pytest.param(Case("profile", "profile_data", {"note": "\ud800"}, True), id="lone-surrogate"),
    pytest.param(Case("item", "item_name", "\udfff", True), id="lone-surrogate-in-text"),
    pytest.param(Case("profile", "profile_data", nested(2000), True), id="deep-nesting"),
    pytest.param(Case("profile", "profile_data", {"big": 10**5000}, True), id="unprintable-int"),
    pytest.param(Case("profile", "profile_data", {1: "one"}, True), id="non-string-key"),
    pytest.param(Case("profile", "profile_data", ["a", "list"], True), id="not-an-object"),
    pytest.param(Case("item", "item_id", ["a"], True), id="list-as-id"),
    pytest.param(Case("item", "item_price", 12.5, True), id="float-price"),
    pytest.param(Case("item", "item_price", True, True), id="boolean-price"),
    pytest.param(Case("item", "item_price", -1, True), id="negative-price"),
    pytest.param(
        Case("item", "item_description", "x" * MAX_OBJECT_BYTES, True), id="oversized-object"
    ),
    pytest.param(Case("event", "customer", 42, True), id="event-customer-not-a-customer"),
    pytest.param(Case("event", "customer", "x" * 300, True), id="event-customer-id-too-long"),
    pytest.param(Case("event", "customer", "", True), id="event-customer-id-empty"),
    pytest.param(Case("event", "created_at", 5, True), id="event-time-not-a-time"),
    pytest.param(Case("event", "properties", {"item_id": None}, True), id="null-property"),
    pytest.param(Case("event", "properties", {"item_id": [1]}, True), id="list-property"),
    pytest.param(Case("event", "event_type", "", True), id="empty-event-type"),
]


@pytest.mark.parametrize("case", REGRESSIONS)
def test_a_hostile_value_fails_its_object_alone(octy: FakeOcty, case: Case) -> None:
    good = [Case("profile", None, None, False), Case("item", None, None, False)]
    run_example(octy, [*good, case, Case("event", None, None, False)])


def test_the_message_of_a_bad_value_is_stored_escaped_and_short(octy: FakeOcty) -> None:
    run_example(octy, [Case("event", "created_at", "\x00" + "y" * 5000, True)])
    (error,) = SyncError.objects.filter(entity=Entity.EVENT)
    assert "\x00" not in error.reason and "\\x00" in error.reason
    assert len(error.reason) < 1000


@pytest.mark.xfail(
    strict=True,
    reason="Octy knows an item by its item_id only: the update of a renamed item names an id "
    "Octy does not have ('No item found'); the item handler would have to delete and re-create it",
)
def test_renaming_a_synced_item(octy: FakeOcty) -> None:
    run_example(octy, [Case("item", "item_id", "renamed", False, saved_before=True)])
