"""Cursor pagination of Octy's GET lists, as a lazy iterator.

The first request sends the header ``cursor: 0``. Each answer's ``cursor``
header has two readings: the position to ask for next (Octy's reference), or
how many rows the page returned, which Octy's command-line client adds to its
running cursor (``Octy-ai/octy-cli``, ``internal/adapters/secondary/rest/eventtypes.go``).
They agree on the first page only, so a header at most the cursor sent is added
to it, and a larger one is the next position. Iteration stops on a short page
or when the position reaches ``request_meta.total``.
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


def next_position(sent: int, page: Page) -> int:
    """Where the page after ``page`` (asked for at ``sent``) starts."""
    header = page.next_cursor
    if header is None or not header.isdigit():
        return sent + len(page.records)
    returned_or_next = int(header)
    return sent + returned_or_next if returned_or_next <= sent else returned_or_next


def paginate(fetch: Callable[[str], Page], path: str) -> Iterator[dict[str, Any]]:
    """Yield every record of a list, fetching page after page as the caller iterates."""
    position = 0
    while True:
        page = fetch(str(position))
        yield from page.records
        if len(page.records) < PAGE_SIZE:
            return
        following = next_position(position, page)
        if following <= position:
            raise OctyAPIError(
                f"Octy's cursor did not advance past {position}", method="GET", path=path
            )
        if page.total is not None and following >= page.total:
            return
        position = following
