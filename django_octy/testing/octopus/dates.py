"""The DateTime functions of a SearchQuery: ``$NOW()``, ``$TODAY()``, ``$THISWEEK()``,
``$THISMONTH()``, ``$THISYEAR()`` and ``$OFFSET(rule, function)``.

As the vendor's notes describe them (maximizercrm/octopus-api,
postman/collections/OctopusAPI.json, "DateTime Operators"): each evaluates to
a range of times (``$NOW()`` to a single one); ``$LT`` and ``$GE`` compare with
its lower bound, ``$LE`` and ``$GT`` with its upper bound; ``$RANGE`` takes the
lower bound of its first value and the upper bound of its second, ``$NRANGE``
the other way round. ``$OFFSET(D-90, $TODAY())`` moves a range by a count of
years, quarters, months, weeks, days, hours, minutes or seconds.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta
from typing import Any, Literal

from .failures import INVALID_QUERY, OctopusFailure
from .state import TIMESTAMP

Bound = Literal["low", "high"]
TimeRange = tuple[datetime, datetime]

FUNCTION = re.compile(r"^\$(NOW|TODAY|THISWEEK|THISMONTH|THISYEAR)\(\)$")
OFFSET = re.compile(r"^\$OFFSET\(\s*([YQMWDhms])([+-]\d+)\s*,\s*(.+?)\s*\)$")
MONTHS_PER = {"Y": 12, "Q": 3, "M": 1}
SECONDS_PER = {"W": 7 * 86400, "D": 86400, "h": 3600, "m": 60, "s": 1}
BOUND_OF: dict[str, Bound] = {"$LT": "low", "$GE": "low", "$LE": "high", "$GT": "high"}


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def shifted(moment: datetime, unit: str, count: int) -> datetime:
    if unit in MONTHS_PER:
        return add_months(moment, MONTHS_PER[unit] * count)
    return moment + timedelta(seconds=SECONDS_PER[unit] * count)


def function_range(name: str, now: datetime) -> TimeRange:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end_of_day = timedelta(days=1, seconds=-1)
    if name == "NOW":
        return now, now
    if name == "TODAY":
        return day, day + end_of_day
    if name == "THISWEEK":
        # The vendor does not say which day a week starts on; the fake takes Sunday.
        start = day - timedelta(days=(day.weekday() + 1) % 7)
        return start, start + timedelta(days=6) + end_of_day
    if name == "THISMONTH":
        start = day.replace(day=1)
        return start, add_months(start, 1) - timedelta(seconds=1)
    start = day.replace(month=1, day=1)
    return start, start.replace(year=start.year + 1) - timedelta(seconds=1)


def time_range(text: str, now: datetime) -> TimeRange | None:
    """The range a DateTime function evaluates to (``None``: ``text`` is not one)."""
    if match := FUNCTION.match(text):
        return function_range(match[1], now)
    if match := OFFSET.match(text):
        inner = time_range(match[3], now)
        if inner is None:
            raise OctopusFailure(f"{match[3]} is not a DateTime function.", INVALID_QUERY)
        unit, count = match[1], int(match[2])
        return shifted(inner[0], unit, count), shifted(inner[1], unit, count)
    return None


def resolved(operand: Any, bound: Bound, now: datetime) -> Any:
    """``operand`` with a DateTime function replaced by the bound it stands for."""
    if not isinstance(operand, str) or not operand.startswith("$"):
        return operand
    found = time_range(operand, now)
    if found is None:
        return operand
    return (found[0] if bound == "low" else found[1]).strftime(TIMESTAMP)


def resolved_operand(operator: str, operand: Any, now: datetime) -> Any:
    """The operand of ``operator`` with its DateTime functions evaluated."""
    if operator in BOUND_OF:
        return resolved(operand, BOUND_OF[operator], now)
    if operator in ("$RANGE", "$NRANGE") and isinstance(operand, list) and len(operand) == 2:
        bounds: tuple[Bound, Bound] = ("low", "high") if operator == "$RANGE" else ("high", "low")
        return [resolved(operand[0], bounds[0], now), resolved(operand[1], bounds[1], now)]
    if operator in ("$EQ", "$NE") and isinstance(operand, str):
        return resolved(operand, "low", now)
    return operand
