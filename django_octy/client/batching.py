"""Batch writes: what each endpoint sends and answers, splitting, and reading the answer.

A batch larger than the endpoint's limit goes out as several requests; each
answer becomes a :class:`BatchResult`, whose failures are traced back to the
position of the refused object in the caller's whole list.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import OctyAPIError
from .results import BatchResult, FailedObject

MAX_BATCH_SIZE = 500
"""Octy's limit of objects per write request."""

IDENTIFIER = "identifier"
"""The key Octy's reference page shows in failure entries; Octy's command-line client
reads the entity's own key (``customer_id``, ``item_id``...) instead: both are read."""


@dataclass(frozen=True)
class BatchEndpoint:
    """The shape of one batch write.

    ``identifier_keys`` name the fields that identify an object in both the
    request and Octy's failure entries, most specific first. A failure entry may
    also name its object under :data:`IDENTIFIER`. Empty means the failures
    carry no identifier (batch events) and are matched by content.
    ``sends_ids`` marks deletes, whose list holds bare identifiers.
    """

    path: str
    request_key: str
    success_key: str
    failure_keys: tuple[str, ...]
    identifier_keys: tuple[str, ...]
    sends_ids: bool = False
    max_size: int = MAX_BATCH_SIZE


def creates(resource: str, key: str, *identifier_keys: str) -> BatchEndpoint:
    """``POST {resource}/create`` with ``{key: [...]}``, answered under the same key."""
    return BatchEndpoint(f"{resource}/create", key, key, ("failed_to_create",), identifier_keys)


def updates(resource: str, key: str, *identifier_keys: str) -> BatchEndpoint:
    return BatchEndpoint(f"{resource}/update", key, key, ("failed_to_update",), identifier_keys)


def deletes(resource: str, ids_key: str, deleted_key: str, identifier_key: str) -> BatchEndpoint:
    """``POST {resource}/delete`` with a list of bare identifiers."""
    return BatchEndpoint(
        f"{resource}/delete",
        ids_key,
        deleted_key,
        ("failed_to_delete",),
        (identifier_key,),
        sends_ids=True,
    )


def prepare(endpoint: BatchEndpoint, objects: Sequence[Any]) -> list[Any]:
    """Check the caller's objects and copy them into JSON-ready values."""
    prepared: list[Any] = []
    for index, obj in enumerate(objects):
        if endpoint.sends_ids:
            if not isinstance(obj, str) or not obj:
                raise TypeError(
                    f"{endpoint.request_key}[{index}] must be a non-empty string, got {obj!r}"
                )
            prepared.append(obj)
        elif isinstance(obj, Mapping):
            prepared.append(dict(obj))
        else:
            raise TypeError(
                f"{endpoint.request_key}[{index}] must be a mapping, got {type(obj).__name__}"
            )
    return prepared


def chunks(objects: Sequence[Any], size: int) -> Iterator[tuple[int, Sequence[Any]]]:
    """``(offset, chunk)`` pairs covering ``objects`` in order."""
    for offset in range(0, len(objects), size):
        yield offset, objects[offset : offset + size]


def _content(*values: Any) -> str:
    return json.dumps(values, sort_keys=True, default=str)


def _match_keys(endpoint: BatchEndpoint, obj: Any) -> list[tuple[str, str]]:
    """The keys under which a sent object and its failure entry meet, best first."""
    if not isinstance(obj, Mapping):
        own = [(endpoint.identifier_keys[0], str(obj))] if endpoint.identifier_keys else []
    elif endpoint.identifier_keys:
        own = [(key, str(obj[key])) for key in endpoint.identifier_keys if obj.get(key)]
        if obj.get(IDENTIFIER):
            own.append((IDENTIFIER, str(obj[IDENTIFIER])))
    else:
        # Batch events: exact content first; then type and profile, in case Octy
        # echoes the properties normalised.
        event_type, profile_id = obj.get("event_type"), obj.get("profile_id")
        return [
            ("content", _content(event_type, profile_id, obj.get("event_properties"))),
            ("event", _content(event_type, profile_id)),
        ]
    return own + [(IDENTIFIER, value) for key, value in own if key != IDENTIFIER]


class FailureLocator:
    """Finds, for each failure entry, the position of the refused object in the batch.

    Each failure claims a position of its own while one is left (two identical
    events that both fail get both positions); a content-generation message
    whose several data entries failed is pointed at by each of them.
    """

    def __init__(self, endpoint: BatchEndpoint, sent: Sequence[Any], offset: int) -> None:
        self.endpoint = endpoint
        self.offset = offset
        self.positions: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.claimed: set[int] = set()
        for position, obj in enumerate(sent):
            for key in _match_keys(endpoint, obj):
                self.positions[key].append(position)

    def _claim(self, entry: Mapping[str, Any]) -> int | None:
        matches = [
            position
            for key in _match_keys(self.endpoint, entry)
            for position in self.positions.get(key, [])
        ]
        unclaimed = [position for position in matches if position not in self.claimed]
        if unclaimed:
            self.claimed.add(unclaimed[0])
            return self.offset + unclaimed[0]
        return self.offset + matches[0] if matches else None

    def locate(self, entry: Mapping[str, Any]) -> FailedObject:
        keys = (*self.endpoint.identifier_keys, IDENTIFIER) if self.endpoint.identifier_keys else ()
        identifier = next((str(entry[key]) for key in keys if entry.get(key)), None)
        return FailedObject(
            identifier=identifier,
            message=str(entry.get("error_message") or ""),
            raw=dict(entry),
            index=self._claim(entry),
        )


def json_objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of a list from Octy's answer (anything else in it is skipped)."""
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def read_answer(
    endpoint: BatchEndpoint, body: Mapping[str, Any], sent: Sequence[Any], offset: int
) -> BatchResult:
    """The :class:`BatchResult` of one request that sent ``sent`` (at ``offset``).

    A failure that names no object of the request makes the whole request an
    :class:`OctyAPIError`: its object cannot be told apart, and retrying the batch
    would meet the same answer.
    """
    locator = FailureLocator(endpoint, sent, offset)
    failures = [entry for key in endpoint.failure_keys for entry in json_objects(body.get(key))]
    failed = [locator.locate(entry) for entry in failures]
    unmatched = next((failure for failure in failed if failure.index is None), None)
    if unmatched is not None:
        named = repr(unmatched.identifier) if unmatched.identifier else "an object"
        raise OctyAPIError(
            f"Octy refused {named}, which this request did not send: {unmatched.message}",
            method="POST",
            path=endpoint.path,
        )
    meta = body.get("request_meta")
    return BatchResult(
        succeeded=json_objects(body.get(endpoint.success_key)),
        failed=failed,
        request_meta=[dict(meta) if isinstance(meta, dict) else {}],
    )
