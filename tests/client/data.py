"""Payloads shaped like Octy's published samples."""

from __future__ import annotations

from typing import Any


def profile(customer_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "has_charged": False,
        "profile_data": {"likes": 4300, "gender": "female", "age": 28},
        "platform_info": {"using_vpn": True, "os": "ios"},
        **changes,
    }


def item(item_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "item_category": "Clothing",
        "item_name": "T-Shirt",
        "item_description": "Super cool black t-shirt",
        "item_price": 2000,
        **changes,
    }


def charged(profile_id: str, item_id: str = "01134f95-d1a8", **changes: Any) -> dict[str, Any]:
    return {
        "event_type": "charged",
        "profile_id": profile_id,
        "event_properties": {"item_id": item_id, "payment_method": "visa"},
        **changes,
    }


GREETING_TEMPLATE = {
    "friendly_name": "Basic personalised greeting",
    "template_type": "email",
    "title": "We have some great deals for you!",
    "content": "Hi {first_name}, we have some great deals for you {greeting}!",
    "default_values": {"first_name": "there", "greeting": "my friend"},
}

WORST_CUSTOMERS_SEGMENT = {
    "segment_name": "worst customers",
    "segment_type": "past",
    "segment_sub_type": 2,
    "segment_timeframe": 60,
    "event_sequence": [
        {"event_type": "login", "exp_timeframe": 0, "action_inaction": "action"},
        {"event_type": "charged", "exp_timeframe": 0, "action_inaction": "inaction"},
    ],
}
