"""AbEntry Read: ``Scope.Fields``, ``Criteria.SearchQuery`` and ``Top``, ``OrderBy`` paging.

As the vendor's collection shows them (maximizercrm/octopus-api,
postman/collections/OctopusAPI.json): SearchQuery takes both forms,
``{"Field": {"$OP": value}}`` and ``{"$OP": {"Field": value}}``; ``$AND`` and
``$OR`` take arrays; several conditions in one object must all hold; ``{}``
matches every entry. Nested fields are objects or paths:
``{"Address": {"ZipCode": {"$EQ": "83814"}}}``, ``"Address/ZipCode": 1``.
``$PHRASE`` takes a string and matches names starting with it (or an e-mail
address, or a phone number); ``$IN``, ``$NIN`` and ``$ALL`` also compare with
table fields (lists); ``$RANGE`` and ``$NRANGE`` take ``[low, high]``; DateTime
functions (:mod:`.dates`) stand for their bounds. Text compares without
regard to case. ``Key`` and ``ParentKey`` compare by the identity their Keys
decode to.

Paging: page 1 sends ``"PageKey": null``, the next page base64 of the offset
(page 2 of 10: ``"MTA="``), as in the vendor's example. ``Top`` caps each
answer (its page-2 example sends ``Top`` 10 with ``PageSize`` 10). Where the
answer names the next page is not published: by default the fake names none;
``FakeOctopus(names_next_page=True)`` answers it as ``AbEntry.PageKey``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...octopus.keys import decode_key
from .dates import resolved_operand
from .failures import INVALID_QUERY, OctopusFailure
from .fields import OBJECT_FIELDS, check_known, check_part, split_path, text_of
from .state import Entry, OctopusState

Path = tuple[str, ...]
KEY_FIELDS = ("Key", "ParentKey")
PHRASE_FIELDS = ("FirstName", "LastName", "CompanyName")
EMAIL_FIELDS = ("Email", "Email1", "Email2", "Email3")
PHONE_FIELDS = ("Phone", "Phone1", "Phone2", "Phone3", "Phone4")


def query_error(message: str) -> OctopusFailure:
    return OctopusFailure(message, INVALID_QUERY)


def check_path(path: Path) -> None:
    check_known(path[0])
    if len(path) > 2 or (len(path) == 2 and path[0] not in OBJECT_FIELDS):
        raise query_error(f"The field {'/'.join(path)} is not a field of AbEntry.")
    if len(path) == 2:
        check_part(path[0], path[1])


def stored_value(entry: Entry, path: Path) -> Any:
    """A field's value for comparing: Keys as stable ids, the rest as stored."""
    name = path[0]
    if name == "Key":
        return entry.identity.stable_id
    if name == "ParentKey":
        return entry.parent
    value = entry.fields.get(name)
    if len(path) == 2:
        return value.get(path[1]) if isinstance(value, Mapping) else None
    return text_of(name, value)


def comparable(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def key_operand(value: Any) -> Any:
    """A Key in a query, as the stable id it names (an undecodable one names nothing)."""
    if isinstance(value, list):
        return [key_operand(item) for item in value]
    if not isinstance(value, str):
        return value
    try:
        return decode_key(value).stable_id
    except ValueError:
        return None


def like(pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise query_error("$LIKE and $NLIKE take a text pattern.")
    wildcards = {"%": ".*", "_": "."}
    regex = "".join(wildcards.get(char, re.escape(char)) for char in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL)


def ordered(value: Any, operand: Any, test: Callable[[Any, Any], bool]) -> bool:
    if value is None or operand is None:
        return False
    try:
        return test(comparable(value), comparable(operand))
    except TypeError:
        return False


def members(operand: Any, operator: str) -> list[Any]:
    if not isinstance(operand, list):
        raise query_error(f"{operator} takes an array.")
    return [comparable(item) for item in operand]


def values_of(value: Any) -> list[Any]:
    """A field's values: a table field's items, or the one value."""
    return [comparable(item) for item in (value if isinstance(value, list) else [value])]


def any_in(value: Any, operand: Any) -> bool:
    wanted = members(operand, "$IN")
    return any(item in wanted for item in values_of(value))


def all_in(value: Any, operand: Any) -> bool:
    have = values_of(value)
    return all(item in have for item in members(operand, "$ALL"))


def in_range(value: Any, operand: Any) -> bool:
    if not isinstance(operand, list) or len(operand) != 2:
        raise query_error("$RANGE takes an array [low, high].")
    low, high = operand
    return ordered(value, low, lambda a, b: a >= b) and ordered(value, high, lambda a, b: a <= b)


COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "$EQ": lambda value, operand: comparable(value) == comparable(operand),
    "$NE": lambda value, operand: comparable(value) != comparable(operand),
    "$GT": lambda value, operand: ordered(value, operand, lambda a, b: a > b),
    "$GE": lambda value, operand: ordered(value, operand, lambda a, b: a >= b),
    "$LT": lambda value, operand: ordered(value, operand, lambda a, b: a < b),
    "$LE": lambda value, operand: ordered(value, operand, lambda a, b: a <= b),
    "$IN": any_in,
    "$NIN": lambda value, operand: not any_in(value, members(operand, "$NIN")),
    "$ALL": all_in,
    "$LIKE": lambda value, operand: isinstance(value, str) and bool(like(operand).match(value)),
    "$NLIKE": lambda value, operand: not (isinstance(value, str) and like(operand).match(value)),
    "$RANGE": in_range,
    "$NRANGE": lambda value, operand: value is not None and not in_range(value, operand),
}
LOGICAL = ("$AND", "$OR")


def phrase_matches(entry: Entry, phrase: Any) -> bool:
    """The quick search: a name starting with the phrase, or an e-mail address or phone
    number containing it (an optional ``Label:`` before the phrase is not part of it)."""
    if not isinstance(phrase, str) or not phrase.strip():
        raise query_error("$PHRASE takes a search phrase.")
    text = re.sub(r"^\w+:\s*", "", phrase.strip()).casefold()
    if "@" in text:
        fields: Sequence[str] = EMAIL_FIELDS
    elif text.replace(" ", "").isdigit():
        fields = PHONE_FIELDS
    else:
        words = (
            word
            for name in PHRASE_FIELDS
            for word in str(entry.fields.get(name) or "").casefold().split()
        )
        return any(word.startswith(text) for word in words)
    return any(
        text in str(text_of(name, entry.fields.get(name)) or "").casefold() for name in fields
    )


@dataclass(frozen=True)
class Matcher:
    state: OctopusState
    entry: Entry
    now: datetime

    def matches(self, query: Any) -> bool:
        if not isinstance(query, Mapping):
            raise query_error("A SearchQuery must be an object.")
        return all(self.condition(name, value) for name, value in query.items())

    def condition(self, name: str, value: Any) -> bool:
        if name in LOGICAL:
            if not isinstance(value, list) or not value:
                raise query_error(f"{name} takes a non-empty array of queries.")
            results = (self.matches(part) for part in value)
            return all(results) if name == "$AND" else any(results)
        if name == "$PHRASE":
            return phrase_matches(self.entry, value)
        if name.startswith("$"):
            return self.operator_first(name, value)
        return self.field_first(split_path(name), value)

    def operator_first(self, operator: str, value: Any) -> bool:
        if not isinstance(value, Mapping) or not value:
            raise query_error(f"{operator} takes an object of fields.")
        return all(
            self.operand_tree(operator, split_path(name), part) for name, part in value.items()
        )

    def operand_tree(self, operator: str, path: Path, operand: Any) -> bool:
        if isinstance(operand, Mapping) and path[-1] in OBJECT_FIELDS:
            return all(
                self.operand_tree(operator, (*path, name), part) for name, part in operand.items()
            )
        return self.compare(operator, path, operand)

    def field_first(self, path: Path, value: Any) -> bool:
        if not isinstance(value, Mapping) or not value:
            raise query_error(f"The condition on {'/'.join(path)} must be an object.")
        return all(
            self.compare(name, path, part)
            if name.startswith("$")
            else self.field_first((*path, name), part)
            for name, part in value.items()
        )

    def compare(self, operator: str, path: Path, operand: Any) -> bool:
        comparison = COMPARISONS.get(operator)
        if comparison is None:
            raise query_error(f"Unknown operator {operator}.")
        check_path(path)
        if path[0] in KEY_FIELDS:
            operand = key_operand(operand)
        operand = resolved_operand(operator, operand, self.now)
        return comparison(stored_value(self.entry, path), operand)


KeyOf = Callable[[Entry], str]
"""The Key an entry has in the answer being built (its session's, in its form)."""


def projected(entry: Entry, path: Path, wanted: Any) -> Any:
    """One asked-for field: an object field's asked-for parts, or the value as stored."""
    value = entry.fields.get(path[0])
    if len(path) == 2:
        return value.get(path[1]) if isinstance(value, Mapping) else text_of(path[0], value)
    if isinstance(wanted, Mapping) and path[0] in OBJECT_FIELDS:
        for part in wanted:
            check_part(path[0], part)
        parts = value if isinstance(value, Mapping) else {}
        return {part: parts.get(part, text_of(path[0], value)) for part in wanted}
    return value


def project(entry: Entry, fields: Mapping[str, Any], parent: Entry | None, key_of: KeyOf) -> Any:
    """The answer's object for ``entry``: the fields asked for, Keys as this session's."""
    row: dict[str, Any] = {}
    for name, wanted in fields.items():
        path = split_path(name)
        check_path(path)
        if name == "Key":
            row[name] = key_of(entry)
        elif name == "ParentKey":
            row[name] = key_of(parent) if parent is not None else None
        elif name == "CompanyName" and parent is not None:
            row[name] = parent.fields.get(name)  # a contact's is its parent's (Read - Contacts)
        else:
            row[name] = projected(entry, path, wanted)
    return row


@dataclass(frozen=True)
class ReadRequest:
    fields: Mapping[str, Any]
    search: Any
    top: int | None
    order: Sequence[tuple[str, bool]]
    page_size: int | None
    offset: int


def sort_key(entry: Entry, name: str) -> tuple[bool, Any]:
    value = comparable(entry.fields.get(name)) if name != "Key" else entry.identity.stable_id
    return (value is not None, value if isinstance(value, str) else str(value))


def matching(state: OctopusState, request: ReadRequest) -> list[Entry]:
    now = state.wall_clock()
    found = [
        entry
        for entry in sorted(state.entries.values(), key=lambda entry: entry.sequence)
        if request.search is None or Matcher(state, entry, now).matches(request.search)
    ]
    for name, descending in reversed(request.order):
        found.sort(key=lambda entry: sort_key(entry, name), reverse=descending)
    return found


def page_key(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode("ascii")


def read_offset(key: Any) -> int:
    """The offset a ``PageKey`` names (base64 of it; ``null`` on page 1)."""
    if key is None:
        return 0
    try:
        offset = base64.b64decode(str(key), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = ""
    if not offset.isdigit():
        raise query_error("The PageKey is not valid.")
    return int(offset)


def order_fields(order: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """``OrderBy.Fields`` as (field, descending) pairs."""
    raw = order.get("Fields", [])
    if not isinstance(raw, list):
        raise query_error("OrderBy.Fields must be an array.")
    pairs = []
    for item in raw:
        if not isinstance(item, Mapping) or len(item) != 1:
            raise query_error('Each OrderBy field is an object such as {"LastName": "ASC"}.')
        [(name, direction)] = item.items()
        check_known(name)
        if str(direction).upper() not in ("ASC", "DESC"):
            raise query_error(f"Sort {name} ASC or DESC, not {direction!r}.")
        pairs.append((name, str(direction).upper() == "DESC"))
    return pairs


def positive(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise query_error(f"{name} must be a positive integer.")
    return value


def parse_read(request: Mapping[str, Any]) -> ReadRequest:
    scope = request.get("Scope")
    fields = scope.get("Fields") if isinstance(scope, Mapping) else None
    if not isinstance(fields, Mapping) or not fields:
        raise query_error("AbEntry.Scope.Fields must name the fields to return.")
    criteria = request.get("Criteria") or {}
    order = request.get("OrderBy") or {}
    if not isinstance(criteria, Mapping) or not isinstance(order, Mapping):
        raise query_error("Criteria and OrderBy must be objects.")
    return ReadRequest(
        fields=fields,
        search=criteria.get("SearchQuery"),
        top=positive(criteria.get("Top"), "Criteria.Top"),
        order=order_fields(order),
        page_size=positive(order.get("PageSize"), "OrderBy.PageSize"),
        offset=read_offset(order.get("PageKey")),
    )


def read(
    state: OctopusState, request: Mapping[str, Any], key_of: KeyOf, names_next_page: bool
) -> dict[str, Any]:
    """The ``AbEntry`` part of a Read answer: ``Data`` (and ``PageKey`` if asked to name it)."""
    read_request = parse_read(request)
    found = matching(state, read_request)
    size = read_request.page_size or len(found)
    if read_request.top is not None:
        size = min(size, read_request.top)
    end = read_request.offset + size
    rows = [
        project(entry, read_request.fields, state.entries.get(entry.parent or ""), key_of)
        for entry in found[read_request.offset : end]
    ]
    answer: dict[str, Any] = {"Data": rows}
    if names_next_page and end < len(found):
        answer["PageKey"] = page_key(end)
    return answer
