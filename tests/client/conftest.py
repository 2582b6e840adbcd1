from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from django_octy.client import OctyClient
from django_octy.client.retrying import RETRY_AFTER_HOLDS
from django_octy.testing import FakeOcty

from .evidence import EVIDENCE

AUDIT_TEST = "test_secret_key_never_leaks"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the secret-key audit after every other client test, to read what they produced."""
    audits = [item for item in items if item.name == AUDIT_TEST]
    for item in audits:
        items.remove(item)
        items.append(item)


@pytest.fixture(autouse=True)
def _collect_log_records(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    EVIDENCE.add_records(caplog.get_records("setup") + caplog.get_records("call"))


@pytest.fixture(autouse=True)
def _forget_retry_after_holds() -> Iterator[None]:
    """Canned clients share one URL and keys: a Retry-After must not outlive its test."""
    RETRY_AFTER_HOLDS.clear()
    yield
    RETRY_AFTER_HOLDS.clear()


@pytest.fixture
def octy(octy_server: FakeOcty) -> FakeOcty:
    EVIDENCE.add_secret(octy_server.public_key, octy_server.secret_key)
    return octy_server


ClientFactory = Callable[..., OctyClient]


@pytest.fixture
def make_client(octy: FakeOcty) -> Iterator[ClientFactory]:
    """Clients of the fake; keyword arguments override the defaults below."""
    made: list[OctyClient] = []

    def make(**options: Any) -> OctyClient:
        options = {
            "public_key": octy.public_key,
            "secret_key": octy.secret_key,
            "base_url": octy.url,
            "allow_insecure": True,
            "timeout": (2.0, 5.0),
            "max_retries": 2,
            **options,
        }
        EVIDENCE.add_secret(options["public_key"], options["secret_key"])
        client = OctyClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> OctyClient:
    return make_client()
