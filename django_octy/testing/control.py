"""The ``/_fake/`` control API: inspect and steer a fake running in another process.

No authentication: the server only listens on 127.0.0.1, and these
endpoints also refuse callers from any other address.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from .server import FakeOcty

LOOPBACK = ("127.0.0.1", "::1")
INJECT_OPTIONS = ("status", "times", "retry_after", "delay", "drop_connection", "reject")
RANDOM_OPTIONS = ("rate", "statuses", "retry_after", "drop_connection_share", "seed")
INSIGHT_OPTIONS = ("churn_probability", "rfm_score", "segment_tags")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")


def _options(body: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ControlError(400, f"Unknown option(s): {', '.join(unknown)}")
    return body


class ControlApi:
    """Answers ``/_fake/...`` requests for one :class:`FakeOcty`."""

    def __init__(self, fake: FakeOcty) -> None:
        self.fake = fake
        self.endpoints: dict[tuple[str, str], Callable[[dict[str, Any]], Any]] = {
            ("GET", "state"): self.state,
            ("GET", "profiles"): self.profiles,
            ("POST", "reset"): self.reset,
            ("POST", "inject"): self.inject,
            ("POST", "latency"): self.latency,
            ("POST", "insights"): self.insights,
            ("POST", "merge"): self.merge,
        }

    def __call__(self, request: Request) -> Response:
        if request.remote_addr not in LOOPBACK:
            return _json({"error": "The control API only answers loopback callers."}, 403)
        name = request.path.removeprefix("/_fake/").strip("/")
        endpoint = self.endpoints.get((request.method, name))
        if endpoint is None:
            return _json({"error": f"No control endpoint {request.method} {request.path}"}, 404)
        try:
            body = request.get_json(silent=True) if request.method == "POST" else {}
            if not isinstance(body, dict):
                raise ControlError(400, "Send a JSON object")
            return _json(endpoint(body))
        except (ControlError, KeyError, TypeError, ValueError) as error:
            status = error.status if isinstance(error, ControlError) else 400
            return _json({"error": str(error)}, status)

    def state(self, body: dict[str, Any]) -> dict[str, Any]:
        fake = self.fake
        with fake.state.lock:
            counts = {
                "profiles": len(fake.state.profiles),
                "merged_profiles": len(fake.state.merged_profiles),
                "items": len(fake.state.items),
                "events": len(fake.state.events),
                "event_types": len(fake.state.event_types),
                "segments": len(fake.state.segments),
                "templates": len(fake.state.templates),
            }
        log = list(fake.request_log)
        return {
            "counts": counts,
            "requests": dict(Counter(entry.path for entry in log)),
            "statuses": {str(k): v for k, v in Counter(e.status for e in log).items()},
            "latency": fake.latency,
            "max_in_flight": fake.in_flight.peak,
        }

    def profiles(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"profiles": list(self.fake.profiles.values())}

    def reset(self, body: dict[str, Any]) -> dict[str, Any]:
        self.fake.reset()
        return {"reset": True}

    def inject(self, body: dict[str, Any]) -> dict[str, Any]:
        path_prefix = body.pop("path_prefix")
        if body.pop("random", False):
            self.fake.inject_random(path_prefix, **_options(body, RANDOM_OPTIONS))
        else:
            self.fake.inject(path_prefix, **_options(body, INJECT_OPTIONS))
        return {"injected": path_prefix}

    def latency(self, body: dict[str, Any]) -> dict[str, Any]:
        self.fake.latency = float(body["latency"])
        return {"latency": self.fake.latency}

    def insights(self, body: dict[str, Any]) -> dict[str, Any]:
        customer_id = body.pop("customer_id")
        return self.fake.set_profile_insights(customer_id, **_options(body, INSIGHT_OPTIONS))

    def merge(self, body: dict[str, Any]) -> dict[str, Any]:
        self.fake.merge_profiles(body["child_customer_id"], body["parent_customer_id"])
        return {"merged": body["child_customer_id"]}
