"""The record of every API request the fake answered (or dropped)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class RequestLogEntry:
    """One request: what came in, what went out, and when (``time.monotonic()`` seconds).

    ``status`` is ``None`` when the connection was dropped on purpose;
    ``objects`` is the length of the body's array (0 for reads); ``body`` is
    the parsed JSON body, never the headers (they carry the secret key).
    """

    method: str
    path: str
    query: str
    status: int | None
    objects: int
    started_at: float
    finished_at: float
    retry_after: float | None = None
    body: Any = None

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at

    @property
    def dropped(self) -> bool:
        return self.status is None
