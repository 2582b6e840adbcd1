"""Message content: templates filled from the data sent, their defaults and recommendations.

A data entry names its profile with ``profile_id`` when it has one; Octy's own Shopify
integration sends ``data: [{}]`` (``Octy-ai/octy-shopify``,
``internal/adapters/framework/secondary/rest/octy_requests.go``), so an entry without
one is filled from the template's defaults. Recommendations need the profile.
"""

from __future__ import annotations

import re
from typing import Any

from ..batch import failure
from ..call import ApiCall, Route
from ..records import require
from ..responses import Reply, success
from ..state import OctyState
from ..validation import BOOLEAN, IDENTIFIER, OBJECTS, SCALAR_TYPES, ObjectRejected, Schema
from .profiles import active_profile
from .recommendations import recommended

PATH = "/v1/retention/messaging/content/generate"
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)\}")
ITEM_REC = "ITEM_REC"
MESSAGE = Schema(
    "message",
    required={"template_id": IDENTIFIER, "item_recommendation": BOOLEAN, "data": OBJECTS},
)


def _recommended_item(state: OctyState, profile_id: str) -> str:
    best = recommended(state, profile_id)
    if not best:
        raise ObjectRejected(f"No item recommendations for profile '{profile_id}'")
    item = state.items.get(best[0][0])
    return str(item["item_name"]) if item else best[0][0]


def _values(
    state: OctyState, template: dict[str, Any], entry: dict[str, Any], item_rec: bool
) -> dict[str, str]:
    profile_id = entry.get("profile_id")
    if profile_id is not None:
        if not isinstance(profile_id, str) or not profile_id:
            raise ObjectRejected("A data entry's 'profile_id' must be a non-empty string")
        active_profile(state, profile_id)
    given = {k: v for k, v in entry.items() if k != "profile_id"}
    for key, value in given.items():
        if not isinstance(value, SCALAR_TYPES):
            raise ObjectRejected(f"Data value '{key}' must be a string or a number")
    values = {**template["default_values"], **{k: str(v) for k, v in given.items()}}
    if item_rec:
        if profile_id is None:
            raise ObjectRejected("Item recommendations need the data entry's 'profile_id'")
        values[ITEM_REC] = _recommended_item(state, profile_id)
    return values


def _render(template: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    texts = (template["title"], template["content"])
    needed = {*template["required_data"], *(n for t in texts for n in PLACEHOLDER.findall(t))}
    missing = sorted(needed - values.keys())
    if missing:
        raise ObjectRejected(f"No value for placeholder(s): {', '.join(missing)}")

    def fill(text: str) -> str:
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)

    return {
        "template_id": template["template_id"],
        "friendly_name": template["friendly_name"],
        "title": fill(template["title"]),
        "content": fill(template["content"]),
    }


def _template(state: OctyState, message: Any) -> dict[str, Any]:
    MESSAGE.check(message)
    template_id = message["template_id"]
    return require(state.templates.get(template_id), "template", "template_id", template_id)


def generate(call: ApiCall) -> Reply:
    generated: list[dict[str, Any]] = []
    failed_messages: list[dict[str, Any]] = []
    failed_templates: list[dict[str, Any]] = []
    for message in call.objects("messages"):
        try:
            call.check_not_rejected(message, ("template_id",))
            template = _template(call.state, message)
        except ObjectRejected as error:
            failed_templates.append(failure(message, ("template_id",), str(error)))
            continue
        for entry in message["data"]:
            try:
                values = _values(call.state, template, entry, message["item_recommendation"])
                generated.append(_render(template, values))
            except ObjectRejected as error:
                failed = failure(entry, ("profile_id",), str(error))
                failed_messages.append({"template_id": template["template_id"], **failed})
    reply = success("Messages generated", generated_messages=generated)
    reply.body["failed_messages"] = failed_messages
    reply.body["failed templates"] = failed_templates  # Octy spells this key with a space.
    return reply


ROUTES = [Route("POST", PATH, generate, "messages")]
