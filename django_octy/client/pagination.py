"""Cursor pagination of Octy's GET lists, as a lazy iterator.

The first request sends the header ``cursor: 0``; each answer's ``cursor``
header is the position to ask for next. Iteration stops on a short page or
when the cursor reaches ``request_meta.total``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import OctyAPIError

PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None


def _reached_total(cursor: str, total: int | None) -> bool:
    return total is not None and cursor.isdigit() and int(cursor) >= total


def paginate(fetch: Callable[[str], Page], path: str) -> Iterator[dict[str, Any]]:
    """Yield every record of a list, fetching page after page as the caller iterates."""
    cursor = "0"
    while True:
        page = fetch(cursor)
        yield from page.records
        if len(page.records) < PAGE_SIZE:
            return
        next_cursor = page.next_cursor
        if next_cursor is None and cursor.isdigit():
            next_cursor = str(int(cursor) + len(page.records))
        if next_cursor is None or next_cursor == cursor:
            raise OctyAPIError(
                f"Octy's cursor did not advance past {cursor!r}", method="GET", path=path
            )
        if _reached_total(next_cursor, page.total):
            return
        cursor = next_cursor
