"""AbEntry Read: ``Scope.Fields``, ``Criteria.SearchQuery`` and ``Top``, ``OrderBy`` paging.

SearchQuery takes both forms, ``{"Field": {"$OP": value}}`` and
``{"$OP": {"Field": value}}``; ``$AND`` and ``$OR`` take arrays; several
conditions in one object must all hold. Nested fields are objects:
``{"Address": {"City": {"$EQ": "Paris"}}}``. Text compares without regard to
case. ``Key`` and ``ParentKey`` compare by the identity their Keys decode to.
The next page's key comes back as ``AbEntry.PageKey`` (the vendor does not
publish its name).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...octopus.keys import decode_key
from .failures import INVALID_QUERY, OctopusFailure
from .fields import ADDRESS, ADDRESS_FIELDS, check_known
from .state import Entry, OctopusState

Path = tuple[str, ...]
KEY_FIELDS = ("Key", "ParentKey")


def query_error(message: str) -> OctopusFailure:
    return OctopusFailure(message, INVALID_QUERY)


def check_path(path: Path) -> None:
    check_known(path[0])
    if len(path) > 2 or (len(path) == 2 and (path[0] != ADDRESS or path[1] not in ADDRESS_FIELDS)):
        raise query_error(f"The field {'/'.join(path)} is not a field of AbEntry.")


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
    return value


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
    "$IN": lambda value, operand: comparable(value) in members(operand, "$IN"),
    "$NIN": lambda value, operand: comparable(value) not in members(operand, "$NIN"),
    "$LIKE": lambda value, operand: isinstance(value, str) and bool(like(operand).match(value)),
    "$NLIKE": lambda value, operand: not (isinstance(value, str) and like(operand).match(value)),
    "$RANGE": in_range,
}
LOGICAL = ("$AND", "$OR")


@dataclass(frozen=True)
class Matcher:
    state: OctopusState
    entry: Entry

    def matches(self, query: Any) -> bool:
        if not isinstance(query, Mapping) or not query:
            raise query_error("A SearchQuery must be a non-empty object.")
        return all(self.condition(name, value) for name, value in query.items())

    def condition(self, name: str, value: Any) -> bool:
        if name in LOGICAL:
            if not isinstance(value, list) or not value:
                raise query_error(f"{name} takes a non-empty array of queries.")
            results = (self.matches(part) for part in value)
            return all(results) if name == "$AND" else any(results)
        if name.startswith("$"):
            return self.operator_first(name, value)
        return self.field_first((name,), value)

    def operator_first(self, operator: str, value: Any) -> bool:
        if not isinstance(value, Mapping) or not value:
            raise query_error(f"{operator} takes an object of fields.")
        return all(self.operand_tree(operator, (name,), part) for name, part in value.items())

    def operand_tree(self, operator: str, path: Path, operand: Any) -> bool:
        if isinstance(operand, Mapping):
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
        return comparison(stored_value(self.entry, path), operand)


def project(entry: Entry, fields: Mapping[str, Any], parent: Entry | None, stamp: str) -> Any:
    """The answer's object for ``entry``: the fields asked for, Keys as this session's."""
    row: dict[str, Any] = {}
    for name, wanted in fields.items():
        check_known(name)
        if name == "Key":
            row[name] = entry.key_for(stamp)
        elif name == "ParentKey":
            row[name] = parent.key_for(stamp) if parent is not None else None
        elif name == ADDRESS and isinstance(wanted, Mapping):
            for part in wanted:
                check_path((ADDRESS, part))
            address = entry.fields.get(ADDRESS) or {}
            row[name] = {part: address.get(part) for part in wanted}
        else:
            row[name] = entry.fields.get(name)
    return row


@dataclass(frozen=True)
class ReadRequest:
    fields: Mapping[str, Any]
    search: Any
    top: int | None
    order: Sequence[tuple[str, bool]]
    page_size: int | None
    offset: int
    fingerprint: str


def sort_key(entry: Entry, name: str) -> tuple[bool, Any]:
    value = comparable(entry.fields.get(name)) if name != "Key" else entry.identity.stable_id
    return (value is not None, value if isinstance(value, str) else str(value))


def matching(state: OctopusState, request: ReadRequest) -> list[Entry]:
    found = [
        entry
        for entry in sorted(state.entries.values(), key=lambda entry: entry.sequence)
        if request.search is None or Matcher(state, entry).matches(request.search)
    ]
    for name, descending in reversed(request.order):
        found.sort(key=lambda entry: sort_key(entry, name), reverse=descending)
    return found if request.top is None else found[: request.top]


def page_key(fingerprint: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{fingerprint}:{offset}".encode()).decode("ascii")


def read_offset(key: Any, fingerprint: str) -> int:
    if key is None:
        return 0
    try:
        given, offset = base64.urlsafe_b64decode(str(key)).decode().rsplit(":", 1)
        if given == fingerprint and offset.isdigit():
            return int(offset)
    except ValueError:
        pass
    raise query_error("The PageKey does not belong to this query.")


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
    without_page = {**request, "OrderBy": {k: v for k, v in order.items() if k != "PageKey"}}
    fingerprint = hashlib.sha256(json.dumps(without_page, sort_keys=True).encode()).hexdigest()
    return ReadRequest(
        fields=fields,
        search=criteria.get("SearchQuery"),
        top=positive(criteria.get("Top"), "Criteria.Top"),
        order=order_fields(order),
        page_size=positive(order.get("PageSize"), "OrderBy.PageSize"),
        offset=read_offset(order.get("PageKey"), fingerprint[:16]),
        fingerprint=fingerprint[:16],
    )


def read(state: OctopusState, request: Mapping[str, Any], stamp: str) -> dict[str, Any]:
    """The ``AbEntry`` part of a Read answer: ``Data``, and ``PageKey`` if more follow."""
    read_request = parse_read(request)
    found = matching(state, read_request)
    end = (
        len(found)
        if read_request.page_size is None
        else read_request.offset + read_request.page_size
    )
    rows = [
        project(entry, read_request.fields, state.entries.get(entry.parent or ""), stamp)
        for entry in found[read_request.offset : end]
    ]
    answer: dict[str, Any] = {"Data": rows}
    if end < len(found):
        answer["PageKey"] = page_key(read_request.fingerprint, end)
    return answer
