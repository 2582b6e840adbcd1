"""Fixtures for the fake Octy server's own tests: plain ``requests`` over real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from django_octy.testing import FakeOcty
from tests.client.data import profile


class Api:
    """A ``requests`` session authenticated against one fake server."""

    def __init__(self, octy: FakeOcty) -> None:
        self.octy = octy
        self.session = requests.Session()
        self.session.auth = (octy.public_key, octy.secret_key)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.session.post(self.octy.url + path, json=body, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.octy.url + path, timeout=10, **kwargs)

    def create_profiles(self, *customer_ids: str) -> dict[str, str]:
        """Create profiles; returns customer_id -> profile_id."""
        response = self.post(
            "/v1/retention/profiles/create",
            {"profiles": [profile(c) for c in customer_ids]},
        )
        assert response.status_code == 201, response.text
        return {p["customer_id"]: p["profile_id"] for p in response.json()["profiles"]}

    def create_items(self, *item_ids: str) -> None:
        items = [
            {
                "item_id": i,
                "item_category": "Clothing",
                "item_name": f"Name {i}",
                "item_price": 2000,
            }
            for i in item_ids
        ]
        response = self.post("/v1/retention/items/create", {"items": items})
        assert response.status_code == 201 and not response.json()["failed_to_create"]

    def charge(self, profile_id: str, item_id: str) -> None:
        event = {
            "event_type": "charged",
            "profile_id": profile_id,
            "event_properties": {"item_id": item_id, "payment_method": "visa"},
        }
        assert self.post("/v1/retention/events/create", event).status_code == 201


@pytest.fixture
def api(octy_server: FakeOcty) -> Iterator[Api]:
    """Requests to the plugin's ``octy_server`` fixture, authenticated."""
    client = Api(octy_server)
    yield client
    client.session.close()


def assert_octy_error(response: requests.Response, status: int) -> dict[str, Any]:
    """Check Octy's error body shape; returns its ``error`` object."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["request_meta"]["request_status"] == "Failure"
    error = body["error"]
    assert error["code"] == str(status)
    assert error["reason"]
    assert error["errors"] and error["errors"][0]["error_message"]
    assert error["errors"][0]["extended_help"].startswith("https://octy.ai/docs")
    return dict(error)
