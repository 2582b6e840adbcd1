"""Items (the catalogue): batch create/update/delete and paged lists."""

from __future__ import annotations

from typing import Any

from ..batch import creates, deletes, identifier, updates
from ..call import ApiCall, Route
from ..listing import Listing, list_reply
from ..records import change, require
from ..responses import Reply
from ..state import OctyState, now
from ..validation import IDENTIFIER, INTEGER, TEXT, ObjectRejected, Schema

BASE = "/v1/retention/items"
LISTING = Listing("items", "item", "items", "items")

DESCRIBED = {"item_category": IDENTIFIER, "item_name": IDENTIFIER, "item_price": INTEGER}
CREATE = Schema(
    "item", required={"item_id": IDENTIFIER, **DESCRIBED}, optional={"item_description": TEXT}
)
UPDATE = Schema(
    "item",
    required={"item_id": IDENTIFIER},
    optional={**DESCRIBED, "item_description": TEXT, "status": TEXT},
)


def _check_price(obj: dict[str, Any]) -> None:
    if obj.get("item_price", 0) < 0:
        raise ObjectRejected("Item field 'item_price' must be zero or more (minor units)")


def _create_one(state: OctyState, obj: Any) -> dict[str, Any]:
    CREATE.check(obj)
    _check_price(obj)
    if obj["item_id"] in state.items:
        raise ObjectRejected(f"An item with item_id '{obj['item_id']}' already exists")
    created_at = now()
    item = {
        "item_description": "",
        **obj,
        "status": "active",
        "created_at": created_at,
        "updated_at": created_at,
    }
    state.items[item["item_id"]] = item
    return dict(item)


def _existing(state: OctyState, item_id: str) -> dict[str, Any]:
    return require(state.items.get(item_id), "item", "item_id", item_id)


def _update_one(state: OctyState, obj: Any) -> dict[str, Any]:
    UPDATE.check(obj)
    _check_price(obj)
    return dict(change(_existing(state, obj["item_id"]), obj))


def _delete_one(state: OctyState, obj: Any) -> dict[str, Any]:
    item = _existing(state, identifier(obj, "item_id"))
    del state.items[item["item_id"]]
    return {"item_id": item["item_id"]}


def read(call: ApiCall) -> Reply:
    return list_reply(call, LISTING, call.state.items.values(), call.state.items.get)


ROUTES = [
    creates("items", _create_one, "item_id", "Items").route(f"{BASE}/create"),
    updates("items", _update_one, "item_id", "Items").route(f"{BASE}/update"),
    deletes("item_ids", _delete_one, "item_id", "deleted_items", "Items").route(f"{BASE}/delete"),
    Route("GET", BASE, read),
]
