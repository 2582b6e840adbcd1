"""What became of one mirror row in a push: the handler's answer, the engine's input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import Operation


@dataclass(frozen=True)
class Synced:
    """The target confirmed the row (for a delete: the object is gone)."""

    octy_id: str | None
    remote: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False


@dataclass(frozen=True)
class Rejected:
    """The target refused the row; retrying the same data will not help."""

    operation: Operation
    message: str
    http_status: int | None = None
    reason: str = ""
    messages: tuple[str, ...] = ()
    extended_help: str = ""


@dataclass(frozen=True)
class Retry:
    """A transient failure: try again after a backoff (``retry_after`` seconds at least)."""

    message: str
    retry_after: float | None = None
    http_status: int | None = None


@dataclass(frozen=True)
class Released:
    """Not pushed this time, through no fault of the row: no attempt is counted."""

    reason: str = ""


Outcome = Synced | Rejected | Retry | Released
