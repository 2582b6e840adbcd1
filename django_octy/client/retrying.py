"""When an Octy request is tried again, and how long the client waits first.

Retryable errors (``error.retryable``: transport failures, 429, 500, 502, 503,
504) are retried up to ``max_retries`` times with capped exponential backoff
and full jitter; a ``Retry-After`` from Octy is a minimum wait. A
``Retry-After`` longer than :data:`MAX_RETRY_AFTER` is not slept through: the
error is raised at once, with ``retry_after`` set, for the caller to schedule.
A ``Retry-After`` also holds back every other request of the process to the
same path (:data:`RETRY_AFTER_HOLDS`), whichever client or thread sends it.
The policy itself is :mod:`django_octy.http.retrying`, shared with the Octopus client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from ..http import retrying
from ..http.retrying import (
    BACKOFF_CAP,
    BACKOFF_FIRST,
    MAX_RETRY_AFTER,
    RetryAfterHolds,
    parse_retry_after,
)

__all__ = [
    "BACKOFF_CAP",
    "BACKOFF_FIRST",
    "MAX_RETRY_AFTER",
    "RETRY_AFTER_HOLDS",
    "RetryAfterHolds",
    "call_with_retries",
    "parse_retry_after",
]

logger = logging.getLogger("django_octy.client")

T = TypeVar("T")

RETRY_AFTER_HOLDS = RetryAfterHolds()
"""The holds of every Octy client of the process."""


def call_with_retries(
    attempt: Callable[[], T],
    max_retries: int,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``attempt`` until it succeeds, fails permanently, or retries run out.

    The last error is raised as it is (never wrapped in tenacity's RetryError).
    """
    return retrying.call_with_retries(attempt, max_retries, logger, sleep)
