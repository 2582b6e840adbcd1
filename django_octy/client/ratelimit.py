"""Client-side pacing, so that a large resync stays under Octy's per-minute limit.

Requests are spaced evenly: with ``requests_per_minute=120`` each request
starts at least 0.5 s after the previous one, across every thread that shares
the client. Spacing instead of bursts keeps the server's sliding window happy
and makes 429 storms unlikely. Each process paces itself: Octy's limit is per
account, so divide it between processes that run at the same time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Thread-safe even spacing of calls to :meth:`acquire`."""

    def __init__(
        self,
        requests_per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be a positive number")
        self.interval = 60.0 / requests_per_minute
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = clock()

    def acquire(self) -> float:
        """Wait for this caller's slot; returns how long it waited, in seconds."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        wait = slot - now
        if wait > 0:
            # Sleep outside the lock: the next caller has already been given a later slot.
            self._sleep(wait)
        return wait
