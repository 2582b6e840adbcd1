"""Typed results: batch writes and recommendations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FailedObject:
    """One object Octy refused in a batch write.

    ``identifier`` is the object's id as Octy echoed it (``customer_id``,
    ``item_id``, ``profile_id``, ``event_type``, ``template_id``...) or, for
    batch events whose failures carry no id, ``None``. ``index`` is the
    object's position in the caller's whole list (across split requests),
    found by identifier or, for events, by content; ``None`` if no sent
    object matches. ``raw`` is Octy's failure entry as it came.
    """

    identifier: str | None
    message: str
    raw: dict[str, Any] = field(default_factory=dict)
    index: int | None = None


@dataclass
class BatchResult:
    """The merged outcome of one logical batch write (possibly several requests)."""

    succeeded: list[dict[str, Any]] = field(default_factory=list)
    failed: list[FailedObject] = field(default_factory=list)
    request_meta: list[dict[str, Any]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """How many HTTP requests the batch took."""
        return len(self.request_meta)

    def merge(self, other: BatchResult) -> None:
        self.succeeded.extend(other.succeeded)
        self.failed.extend(other.failed)
        self.request_meta.extend(other.request_meta)


@dataclass
class Recommendations:
    """Item recommendations per profile, with the model that produced them.

    ``by_profile`` holds Octy's entries as sent: ``{profile_id, recommendations:
    [{item_id, score}], error}``.
    """

    by_profile: list[dict[str, Any]] = field(default_factory=list)
    model_meta_data: dict[str, Any] = field(default_factory=dict)
