"""When a request is tried again, and how long a client waits first.

Retryable errors (``error.retryable``) are retried up to ``max_retries`` times
with capped exponential backoff and full jitter; a ``Retry-After`` from the
server is a minimum wait. A ``Retry-After`` longer than
:data:`MAX_RETRY_AFTER` is not slept through: the error is raised at once,
with ``retry_after`` set, for the caller to schedule.

A ``Retry-After`` can also hold back every other request of the process to the
same target (:class:`RetryAfterHolds`), whichever client or thread sends it,
and of other processes through a shared :class:`HoldStore`.

A caller that must be done by a given moment (a flusher, within its lease)
sets a :func:`deadline`: no retry, and no ``Retry-After`` hold, is waited
for past it, and no request is sent after it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception
from tenacity.stop import stop_after_attempt, stop_base
from tenacity.wait import wait_base, wait_random_exponential

from .errors import ServiceError

BACKOFF_FIRST = 0.5
"""Upper bound, in seconds, of the first random backoff; it doubles on each retry."""

BACKOFF_CAP = 30.0
"""No backoff is longer than this."""

MAX_RETRY_AFTER = 120.0
"""A ``Retry-After`` longer than this is returned to the caller instead of slept."""

T = TypeVar("T")

_DEADLINE: ContextVar[float | None] = ContextVar("retry_deadline", default=None)


@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Within the block (in this thread), retries end by ``at``, a ``time.monotonic()`` moment.

    A retry whose wait would reach past ``at`` is not made: the last error is
    raised. A request already sent when ``at`` comes runs to its own timeout;
    none is sent after it (:class:`DeadlinePassed`).
    """
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class DeadlinePassed(Exception):
    """A request was not sent: the :func:`deadline` of its caller had passed."""


def seconds_left() -> float | None:
    """Seconds until the current :func:`deadline` (negative once past); ``None``: no deadline."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class HoldStore(Protocol):
    """Where holds are shared between processes: the end of each, as a ``time.time()``.

    Implementations must not raise: a store that cannot be reached answers
    ``None`` and forgets, and the process still honours its own holds.
    """

    def get(self, key: str) -> float | None: ...

    def set(self, key: str, until: float, seconds: float) -> None:
        """Keep ``until`` for ``key`` for ``seconds`` at least."""


class RetryAfterHolds:
    """Per request target, the moment before which the server asked not to be called again.

    One instance (:data:`RETRY_AFTER_HOLDS`) is shared by every client and thread
    of the process, so that a ``Retry-After`` answered to one flusher holds back
    the others too. With a ``shared`` store, holds also reach the other
    processes that use that store (keyed by a digest of the target, which
    names an account). Thread-safe.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        shared: HoldStore | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._shared = shared
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def hold(self, target: str, seconds: float) -> None:
        """No request to ``target`` before ``seconds`` from now (a later hold wins)."""
        until = self._clock() + seconds
        with self._lock:
            if until > self._until.get(target, 0.0):
                self._until[target] = until
        if self._shared is not None:
            key = shared_key(target)
            until = self._wall_clock() + seconds
            if until > (self._shared.get(key) or 0.0):
                self._shared.set(key, until, seconds)

    def remaining(self, target: str) -> float:
        """Seconds until ``target`` may be called again (0: now)."""
        shared = self._shared.get(shared_key(target)) if self._shared is not None else None
        elsewhere = 0.0 if shared is None else shared - self._wall_clock()
        return max(self._remaining_here(target), elsewhere, 0.0)

    def _remaining_here(self, target: str) -> float:
        with self._lock:
            until = self._until.get(target)
            if until is None:
                return 0.0
            left = until - self._clock()
            if left <= 0:
                del self._until[target]
                return 0.0
            return left

    def clear(self) -> None:
        """Forget every hold of this process (for tests that reuse one account's URL and keys)."""
        with self._lock:
            self._until.clear()


def shared_key(target: str) -> str:
    """The key of a target's hold in a shared store: a digest, the account's name stays out."""
    return "retry-after:" + hashlib.sha256(target.encode()).hexdigest()


RETRY_AFTER_HOLDS = RetryAfterHolds()


def _error(retry_state: RetryCallState) -> ServiceError | None:
    outcome = retry_state.outcome
    if outcome is None or not outcome.failed:
        return None
    error = outcome.exception()
    return error if isinstance(error, ServiceError) else None


def _retry_after(retry_state: RetryCallState) -> float:
    error = _error(retry_state)
    if error is None or error.retry_after is None:
        return 0.0
    return error.retry_after


class WaitBackoffOrRetryAfter(wait_base):
    """Full-jitter exponential backoff, but never less than the server's ``Retry-After``."""

    def __init__(self) -> None:
        self.backoff = wait_random_exponential(multiplier=BACKOFF_FIRST, max=BACKOFF_CAP)

    def __call__(self, retry_state: RetryCallState) -> float:
        return max(self.backoff(retry_state), _retry_after(retry_state))


class StopIfRetryAfterTooLong(stop_base):
    def __call__(self, retry_state: RetryCallState) -> bool:
        return _retry_after(retry_state) > MAX_RETRY_AFTER


class StopAtDeadline(stop_base):
    def __call__(self, retry_state: RetryCallState) -> bool:
        left = seconds_left()
        return left is not None and retry_state.upcoming_sleep >= left


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, ServiceError) and error.retryable


def _retry_logger(logger: logging.Logger) -> Callable[[RetryCallState], None]:
    def log_retry(retry_state: RetryCallState) -> None:
        error = _error(retry_state)
        if error is None:  # only service errors are retried
            return
        logger.info(
            "%s failed (%s); retry %d in %.2fs",
            error.request_label(),
            error.failure_label(),
            retry_state.attempt_number,
            retry_state.next_action.sleep if retry_state.next_action else 0.0,
        )

    return log_retry


def call_with_retries(
    attempt: Callable[[], T],
    max_retries: int,
    logger: logging.Logger,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``attempt`` until it succeeds, fails permanently, or retries run out.

    The last error is raised as it is (never wrapped in tenacity's RetryError).
    Each retry is logged at INFO on ``logger``. Past the :func:`deadline`, no
    request is sent: :class:`DeadlinePassed` is raised instead.
    """

    def attempt_in_time() -> T:
        left = seconds_left()
        if left is not None and left <= 0:
            raise DeadlinePassed("Not sent: the time given to this push ran out")
        return attempt()

    retrying = Retrying(
        retry=retry_if_exception(_is_retryable),
        stop=stop_after_attempt(max_retries + 1) | StopIfRetryAfterTooLong() | StopAtDeadline(),
        wait=WaitBackoffOrRetryAfter(),
        before_sleep=_retry_logger(logger),
        sleep=sleep,
        reraise=True,
    )
    return retrying(attempt_in_time)
