"""Fixtures of the Octopus target's tests: the fake Octopus (and the fake Octy) with fast
settings, and the shop's customers mapped to Individual entries as well as to profiles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from django_octy.sync.registry import registry
from django_octy.testing import FakeOctopus, FakeOcty
from tests.admin.conftest import superuser_client
from tests.shop.models import Customer
from tests.shop.octy import CustomerEntrySource
from tests.sync.conftest import octy, worker

__all__ = ["octy", "superuser_client", "worker"]

OCTOPUS_FAST = {"MAX_RETRIES": 0, "TIMEOUT": 10.0}


@pytest.fixture
def crm(octopus_settings: FakeOctopus, octy: FakeOcty, settings: Any) -> FakeOctopus:
    """The fake Octopus, with settings.OCTOPUS pointing at it (and OCTY at the fake Octy)."""
    settings.OCTOPUS = {**settings.OCTOPUS, **OCTOPUS_FAST}
    return octopus_settings


@pytest.fixture
def customers_as_individuals() -> Iterator[None]:
    """The shop's customers are Individual entries in the CRM too, for one test."""
    registry.register(Customer, CustomerEntrySource(Customer))
    yield
    registry.unregister(Customer, CustomerEntrySource)


def methods(crm: FakeOctopus) -> list[str]:
    return [entry.method for entry in crm.request_log]


def sent_data(crm: FakeOctopus, method: str) -> list[dict[str, Any]]:
    """The ``Data`` of every payload of ``method`` sent, in order: a request's own
    (``AbEntry``) or its aliased ones (``AbEntry.1``, ``AbEntry.2``...)."""
    return [
        payload["Data"]
        for entry in crm.request_log
        if entry.method == method
        for name, payload in entry.body.items()
        if name.startswith("AbEntry")
    ]
