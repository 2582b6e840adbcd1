"""What a resource handler receives: the parsed request and the store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .dialect import Dialect
from .responses import ApiError, Reply
from .state import OctyState
from .validation import ObjectRejected


@dataclass
class ApiCall:
    """One authenticated API request, already past the transport rules.

    ``rejections`` maps identifiers to the message a write naming them must
    fail with (see :meth:`FakeOcty.reject_object`); ``dialect`` picks the
    reading where Octy's sources disagree.
    """

    state: OctyState
    body: Any = None
    query: Mapping[str, str] = field(default_factory=dict)
    cursor: str | None = None
    rejections: Mapping[str, str] = field(default_factory=dict)
    dialect: Dialect = field(default_factory=Dialect)

    def object_body(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise ApiError(400, "Invalid request body", "The request body must be a JSON object.")
        return self.body

    def objects(self, list_key: str) -> list[Any]:
        value = self.object_body().get(list_key)
        if not isinstance(value, list):
            raise ApiError(
                400, "Invalid request body", f"The request body needs a '{list_key}' array."
            )
        return value

    def check_not_rejected(self, obj: Any, keys: Iterable[str]) -> None:
        if not self.rejections:
            return
        values = [obj.get(key) for key in keys] if isinstance(obj, dict) else [obj]
        for value in values:
            if isinstance(value, str) and value in self.rejections:
                raise ObjectRejected(self.rejections[value])

    def ids(self) -> list[str] | None:
        """The identifiers of an ``?id=`` or ``?ids=a,b`` lookup, or ``None`` for a listing.

        ``?id=`` names one identifier, commas and all: Octy's Shopify integration
        looks a customer up by ``?id=`` alone (``Octy-ai/octy-shopify``,
        ``internal/adapters/framework/secondary/rest/octy_requests.go``).
        """
        single = self.query.get("id")
        if single:
            return [single]
        raw = self.query.get("ids")
        if raw is None:
            return None
        return [part for part in (p.strip() for p in raw.split(",")) if part]


Handler = Callable[[ApiCall], Reply]
T = TypeVar("T")


def apply_single(
    call: ApiCall,
    apply: Callable[[dict[str, Any]], T],
    keys: Iterable[str],
    reason: str,
    topic: str,
) -> T:
    """Apply a one-object write; a refused object is a 400 with Octy's error body."""
    body = call.object_body()
    try:
        call.check_not_rejected(body, keys)
        return apply(body)
    except ObjectRejected as error:
        raise ApiError(400, reason, str(error), topic=topic) from None


@dataclass(frozen=True)
class Route:
    """One endpoint. ``list_key`` names the body's array whose length is the object count."""

    method: str
    path: str
    handler: Handler
    list_key: str | None = None


def not_updatable(noun: str, topic: str) -> Handler:
    """The handler of an update Octy does not offer (event types, segments)."""

    def refuse(call: ApiCall) -> Reply:
        raise ApiError(
            405,
            f"{noun.capitalize()}s cannot be updated",
            f"Delete the {noun} and create it again instead.",
            topic=topic,
        )

    return refuse
