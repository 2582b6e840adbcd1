"""The fake's store: everything Octy keeps, indexed by every id used for lookups."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"

CHARGED = "charged"
CHARGED_PROPERTIES = ["item_id", "payment_method"]

ALGORITHMS = ("churn", "rec")


def new_id(prefix: str) -> str:
    """An Octy-style identifier such as ``profile_3f2a...``."""
    return f"{prefix}_{secrets.token_hex(16)}"


def now() -> str:
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


def default_account_config() -> dict[str, Any]:
    return {
        "contact_name": "",
        "contact_surname": "",
        "contact_email_address": "",
        "webhook_url": "",
        "authenticated_id_key": "",
    }


def default_algorithm_configs() -> dict[str, dict[str, Any]]:
    return {
        "churn": {"profile_features": []},
        "rec": {
            "profile_features": [],
            "recommend_interacted_items": False,
            "item_id_stop_list": [],
        },
    }


def builtin_event_types() -> dict[str, dict[str, Any]]:
    charged = {
        "event_type_id": new_id("event_type"),
        "event_type": CHARGED,
        "event_properties": list(CHARGED_PROPERTIES),
        "created_at": now(),
    }
    return {CHARGED: charged}


@dataclass
class OctyState:
    """All the fake's data. Hold ``lock`` while reading or changing anything."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    # customer_id -> profile (active profiles only) and profile_id -> customer_id.
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    profile_customer_ids: dict[str, str] = field(default_factory=dict)
    # Profiles merged into another one: customer_id -> child, profile_id -> customer_id.
    merged_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    merged_customer_ids: dict[str, str] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    # profile_id -> its events, and the newest created_at of all (insights are derived from them).
    events_by_profile: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    latest_event_at: str = ""
    # profile_id -> item ids it was charged for (drives recommendations).
    charged_items: dict[str, set[str]] = field(default_factory=dict)
    event_types: dict[str, dict[str, Any]] = field(default_factory=builtin_event_types)
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    # profile_id -> churn_probability, rfm_score, segment_tags set by tests (over derived ones).
    set_insights: dict[str, dict[str, Any]] = field(default_factory=dict)
    # profile_id -> [(item_id, score)] set by tests, overriding computed ones.
    recommendations: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    account_config: dict[str, Any] = field(default_factory=default_account_config)
    algorithm_configs: dict[str, dict[str, Any]] = field(default_factory=default_algorithm_configs)
    # The churn percentage the last report gave, to say which way churn moved.
    last_churn_percentage: float | None = None

    def add_event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self.events_by_profile.setdefault(event["profile_id"], []).append(event)
        self.latest_event_at = max(self.latest_event_at, event["created_at"])

    def profile_by_id(self, profile_id: str) -> dict[str, Any] | None:
        customer_id = self.profile_customer_ids.get(profile_id)
        return None if customer_id is None else self.profiles[customer_id]

    def add_profile(self, profile: dict[str, Any]) -> None:
        self.profiles[profile["customer_id"]] = profile
        self.profile_customer_ids[profile["profile_id"]] = profile["customer_id"]

    def remove_profile(self, profile: dict[str, Any]) -> None:
        del self.profiles[profile["customer_id"]]
        del self.profile_customer_ids[profile["profile_id"]]

    def merged_child(self, identifier: str) -> dict[str, Any] | None:
        """The merged-away profile known by this profile_id or customer_id, if any."""
        customer_id = self.merged_customer_ids.get(identifier, identifier)
        return self.merged_profiles.get(customer_id)
