"""Command-line arguments shared by the django-octy management commands."""

from __future__ import annotations

from argparse import ArgumentTypeError
from collections.abc import Callable
from datetime import datetime, time

from django.core.management.base import CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ..models import Entity


def one_of(names: list[str]) -> Callable[[str], str]:
    """An argument type that accepts one of ``names``.

    Not ``choices=``: with ``nargs="*"``, Python 3.11's argparse checks the empty
    list itself against the choices, so giving no argument at all fails.
    """

    def argument(value: str) -> str:
        if value not in names:
            raise ArgumentTypeError(f"{value!r} is not one of {', '.join(names)}")
        return value

    return argument


entity_argument = one_of(list(Entity.values))


def add_entities_argument(parser: CommandParser, what: str) -> None:
    """The optional ``entity ...`` positional arguments (none: every entity)."""
    parser.add_argument(
        "entities",
        nargs="*",
        type=entity_argument,
        metavar="entity",
        help=f"{what} (default: all): {', '.join(Entity.values)}.",
    )


def since_argument(value: str) -> datetime:
    """A date (midnight) or a datetime, in the current time zone unless it names one."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ArgumentTypeError(f"{value!r} is not a date (2026-11-20) or an ISO datetime")
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return number
