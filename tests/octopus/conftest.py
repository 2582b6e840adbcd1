from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests

from django_octy.octopus import OctopusClient
from django_octy.testing import FakeOctopus

ClientFactory = Callable[..., OctopusClient]


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.fixture
def crm(octopus_server: FakeOctopus) -> FakeOctopus:
    return octopus_server


@pytest.fixture
def make_client(crm: FakeOctopus) -> Iterator[ClientFactory]:
    """Clients of the fake with session auth, closed after the test; options override."""
    defaults: dict[str, Any] = {
        "database": crm.database,
        "uid": crm.uid,
        "password": crm.password,
        "allow_insecure": True,
        "timeout": (2.0, 5.0),
        "max_retries": 3,
    }
    with ExitStack() as clients:
        yield lambda **options: clients.enter_context(
            OctopusClient(crm.url, **{**defaults, **options})
        )


@pytest.fixture
def client(make_client: ClientFactory) -> OctopusClient:
    return make_client()


def company(name: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Company", "CompanyName": name, **fields}


def contact(last_name: str, parent_key: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Contact", "LastName": last_name, "ParentKey": parent_key, **fields}


def methods(crm: FakeOctopus) -> list[str]:
    return [entry.method for entry in crm.request_log]


def post(crm: FakeOctopus, method: str, body: Any, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{crm.url}/{method}", json=body, headers=headers, timeout=5)


def login(crm: FakeOctopus) -> str:
    body = {"Database": crm.database, "UID": crm.uid, "Password": crm.password}
    answer = post(crm, "Authenticate", body).json()
    assert answer["Code"] == 0
    token: str = answer["Data"]["Token"]
    return token
