"""Where Octy's published sources disagree: which reading the fake answers in.

The defaults are what Octy's own clients show; the other reading is there so
that a test can check a client copes with both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CursorMeaning = Literal["rows", "position"]
FailureKey = Literal["own", "identifier"]


@dataclass(frozen=True)
class Dialect:
    """``cursor_header``: what a list's ``cursor`` response header holds. ``"rows"``,
    the rows the page returned, is how Octy's command-line client reads it (it adds
    the header to its running cursor: ``Octy-ai/octy-cli``,
    ``internal/adapters/secondary/rest/eventtypes.go``); ``"position"``, the position
    of the next page, is how Octy's reference page reads.

    ``failure_key``: how a ``failed_to_*`` entry names its object. ``"own"``, the
    entity's own key (``customer_id``, ``item_id``...), is what the command-line
    client's models read (``Octy-ai/octy-cli``, ``internal/adapters/secondary/rest/models/``);
    ``"identifier"`` is the key Octy's reference page shows.
    """

    cursor_header: CursorMeaning = "rows"
    failure_key: FailureKey = "own"
