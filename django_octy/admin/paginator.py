"""A paginator that never counts a whole big table.

Django's admin counts the rows of the (filtered) changelist on every page
load; on a mirror table of millions of rows that ``COUNT(*)`` dominates the
page. This paginator counts at most ``CAP`` rows (``SELECT COUNT(*) FROM
(SELECT ... LIMIT CAP)``): exact below the cap, "more than CAP" above it, with
pages up to the cap reachable. Searching or filtering narrows the list further.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.db.models import QuerySet

if TYPE_CHECKING:
    PaginatorBase = Paginator[Any]
else:  # Paginator is generic for type checkers only
    PaginatorBase = Paginator


class CappedCountPaginator(PaginatorBase):
    CAP = 10_000

    @cached_property
    def count(self) -> int:
        objects: Any = self.object_list
        if isinstance(objects, QuerySet):
            capped: int = objects[: self.CAP + 1].count()
            return capped
        return len(objects)

    @property
    def capped(self) -> bool:
        """Whether there are more rows than were counted."""
        return self.count > self.CAP
