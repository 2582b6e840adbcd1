"""GET lists: ``?id=``/``?ids=`` lookups, or pages of 500 steered by the ``cursor`` header."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .call import ApiCall
from .records import Record
from .responses import ApiError, Reply, success

PAGE_SIZE = 500


@dataclass(frozen=True)
class Listing:
    """How one resource is listed: its response key and its names in messages."""

    key: str
    noun: str  # "customer" -> "Invalid customer identifier provided"
    plural: str  # "customer profiles" -> "No customer profiles were found."
    topic: str


def cursor_position(call: ApiCall) -> int:
    raw = call.cursor or "0"
    if not raw.isdigit():
        raise ApiError(400, "Invalid cursor", f"The cursor header must be a number, got {raw!r}.")
    return int(raw)


def _reply(listing: Listing, found: list[Record], total: int) -> Reply:
    reply = success(f"{len(found)} {listing.plural} found")
    reply.body[listing.key] = [dict(r) for r in found]
    reply.body["request_meta"].update(count=len(found), total=total)
    return reply


def list_reply(
    call: ApiCall,
    listing: Listing,
    records: Iterable[Record],
    lookup: Callable[[str], Record | None],
    keep: Callable[[Record], bool] | None = None,
) -> Reply:
    """Answer a GET list; ``keep`` applies the resource's query filters."""
    ids = call.ids()
    if ids is not None:
        found = [r for r in map(lookup, ids) if r is not None and (keep is None or keep(r))]
        if not found:
            raise ApiError(
                400,
                f"Invalid {listing.noun} identifier provided",
                f"No {listing.plural} were found.",
                topic=listing.topic,
            )
        return _reply(listing, found, len(found))
    everything = list(records) if keep is None else [r for r in records if keep(r)]
    start = cursor_position(call)
    page = everything[start : start + PAGE_SIZE]
    reply = _reply(listing, page, len(everything))
    counted = call.dialect.cursor_header == "rows"
    reply.headers["cursor"] = str(len(page) if counted else start + len(page))
    return reply
