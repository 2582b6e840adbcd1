"""How many requests a fake is answering at once, and a gate that holds their answers.

A test of a client's concurrency bound closes the gate, waits until the
client has as many requests out as it may, checks that no more arrive, then
opens it: the interleaving is forced, never left to timing.
"""

from __future__ import annotations

import threading


class InFlight:
    """Counts the requests being answered; the most at once is ``peak``."""

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0
        self._held = False
        self._changed = threading.Condition()

    def enter(self) -> None:
        """A request arrived: count it, then wait while answers are held."""
        with self._changed:
            self.current += 1
            self.peak = max(self.peak, self.current)
            self._changed.notify_all()
            self._changed.wait_for(lambda: not self._held)

    def leave(self) -> None:
        with self._changed:
            self.current -= 1
            self._changed.notify_all()

    def hold(self) -> None:
        """Hold every answer (requests are still counted) until :meth:`release`."""
        with self._changed:
            self._held = True

    def release(self) -> None:
        with self._changed:
            self._held = False
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` requests are in flight at once; ``False`` on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.current >= count, timeout)

    def reset(self) -> None:
        with self._changed:
            self.peak = self.current
