"""Fault injection: what the fake does to a request instead of (or before) answering it."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

DEFAULT_REJECTION = "Rejected by the test"

HOLD_TIMEOUT = 60.0
"""Seconds a held request waits for its release before the fake answers anyway."""


def check_error_status(status: int) -> None:
    if not 400 <= status <= 599:
        raise ValueError(f"An injected status must be a 4xx or 5xx, got {status}")


class Hold:
    r"""A request the fake keeps waiting, before it acts on it, until the test releases it.

    For interleavings a test must force: the test waits for :meth:`wait_arrived`,
    does what must happen while the request is in flight, then :meth:`release`\ s it.
    """

    def __init__(self) -> None:
        self._arrived = threading.Event()
        self._released = threading.Event()

    def wait_arrived(self, timeout: float = 10.0) -> None:
        """Wait until the held request has reached the fake."""
        if not self._arrived.wait(timeout):
            raise TimeoutError(f"No held request arrived within {timeout:g}s")

    def release(self) -> None:
        """Let the held request go on (it is then handled as any other)."""
        self._released.set()

    def hold_here(self) -> None:
        """Called by the fake's request thread: wait for the release."""
        self._arrived.set()
        self._released.wait(HOLD_TIMEOUT)


@dataclass(frozen=True)
class Fault:
    """The treatment of one request. An empty ``Fault()`` means: answer normally.

    ``garble`` handles the request, then sends only the first half of its 2xx
    answer's body (with a matching Content-Length): a proxy that cut the
    answer, which leaves the client unable to tell what was done.
    """

    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    drop_connection: bool = False
    rejections: Mapping[str, str] = field(default_factory=dict)
    hold: Hold | None = None
    garble: bool = False

    def __post_init__(self) -> None:
        if self.status is not None:
            check_error_status(self.status)
        if self.delay < 0 or (self.retry_after is not None and self.retry_after < 0):
            raise ValueError("delay and retry_after cannot be negative")


def rejections_of(reject: Mapping[str, str] | Iterable[str] | None) -> dict[str, str]:
    """``{identifier: message}`` from a mapping or from bare identifiers."""
    if reject is None:
        return {}
    if isinstance(reject, Mapping):
        return dict(reject)
    if isinstance(reject, str):
        return {reject: DEFAULT_REJECTION}
    return dict.fromkeys(reject, DEFAULT_REJECTION)


@dataclass
class FaultRule:
    """Applies ``fault`` to the next ``times`` requests under ``path_prefix`` (None: all)."""

    path_prefix: str
    fault: Fault
    times: int | None = 1

    def __post_init__(self) -> None:
        if self.times is not None and self.times < 1:
            raise ValueError(
                f"times must be 1 or more (or None for every request), got {self.times}"
            )


@dataclass
class FaultStorm:
    """Fails a share (``rate``) of the requests under ``path_prefix``, reproducibly by seed."""

    path_prefix: str
    rate: float
    statuses: tuple[int, ...]
    retry_after: float | None
    drop_connection_share: float
    rng: random.Random

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1 or not 0 <= self.drop_connection_share <= 1:
            raise ValueError("rate and drop_connection_share must be between 0 and 1")
        if not self.statuses:
            raise ValueError("statuses cannot be empty")
        for status in self.statuses:
            check_error_status(status)

    def draw(self) -> Fault | None:
        if self.rng.random() >= self.rate:
            return None
        if self.rng.random() < self.drop_connection_share:
            return Fault(drop_connection=True)
        return Fault(status=self.rng.choice(self.statuses), retry_after=self.retry_after)


class FaultPlan:
    """Every fault the test asked for; thread-safe, consumed as requests arrive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latency = 0.0
        self._rules: list[FaultRule] = []
        self._storms: list[FaultStorm] = []
        self._rejections: dict[str, str] = {}

    def add_rule(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def add_storm(self, storm: FaultStorm) -> None:
        with self._lock:
            self._storms.append(storm)

    def reject(self, identifier: str, message: str) -> None:
        with self._lock:
            self._rejections[identifier] = message

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._storms.clear()
            self._rejections.clear()
            self.latency = 0.0

    def fault_for(self, path: str) -> Fault:
        """Decide (and consume) what happens to one request to ``path``."""
        with self._lock:
            fault = self._take_rule(path) or self._draw_storm(path) or Fault()
            rejections = {**self._rejections, **fault.rejections}
            return Fault(
                status=fault.status,
                retry_after=fault.retry_after,
                delay=fault.delay + self.latency,
                drop_connection=fault.drop_connection,
                rejections=rejections,
                hold=fault.hold,
                garble=fault.garble,
            )

    def _take_rule(self, path: str) -> Fault | None:
        for rule in self._rules:
            if path.startswith(rule.path_prefix):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                return rule.fault
        return None

    def _draw_storm(self, path: str) -> Fault | None:
        for storm in self._storms:
            if path.startswith(storm.path_prefix):
                return storm.draw()
        return None
