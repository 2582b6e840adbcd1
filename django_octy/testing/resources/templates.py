"""Message templates: batch create, update in place, delete, paged lists."""

from __future__ import annotations

from typing import Any

from ..batch import creates, deletes, identifier, updates
from ..call import ApiCall, Route
from ..listing import Listing, list_reply
from ..records import change, require
from ..responses import Reply
from ..state import OctyState, new_id, now
from ..validation import IDENTIFIER, OBJECT, STRING_MAP, STRINGS, TEXT, Schema

BASE = "/v1/retention/messaging/templates"
LISTING = Listing("templates", "template", "templates", "messaging")

DESCRIBED = {
    "friendly_name": IDENTIFIER,
    "template_type": IDENTIFIER,
    "title": TEXT,
    "content": TEXT,
}
EXTRAS = {"required_data": STRINGS, "default_values": STRING_MAP, "metadata": OBJECT}
CREATE = Schema("template", required=DESCRIBED, optional={**EXTRAS, "status": TEXT})
UPDATE = Schema(
    "template",
    required={"template_id": IDENTIFIER, "status": TEXT},
    optional={**DESCRIBED, **EXTRAS},
)


def _create_one(state: OctyState, obj: Any) -> dict[str, Any]:
    CREATE.check(obj)
    created_at = now()
    template = {
        "template_id": new_id("template"),
        "required_data": [],
        "default_values": {},
        "metadata": {},
        "status": "active",
        **{k: v for k, v in obj.items() if v is not None},
        "created_at": created_at,
        "updated_at": created_at,
    }
    state.templates[template["template_id"]] = template
    return dict(template)


def _existing(state: OctyState, template_id: str) -> dict[str, Any]:
    return require(state.templates.get(template_id), "template", "template_id", template_id)


def _update_one(state: OctyState, obj: Any) -> dict[str, Any]:
    UPDATE.check(obj)
    return dict(change(_existing(state, obj["template_id"]), obj))


def _delete_one(state: OctyState, obj: Any) -> dict[str, Any]:
    template = _existing(state, identifier(obj, "template_id"))
    del state.templates[template["template_id"]]
    return {"template_id": template["template_id"]}


def read(call: ApiCall) -> Reply:
    return list_reply(call, LISTING, call.state.templates.values(), call.state.templates.get)


ROUTES = [
    creates("templates", _create_one, "friendly_name", "Templates").route(f"{BASE}/create"),
    updates("templates", _update_one, "template_id", "Templates").route(f"{BASE}/update"),
    deletes("template_ids", _delete_one, "template_id", "deleted_templates", "Templates").route(
        f"{BASE}/delete"
    ),
    Route("GET", BASE, read),
]
