"""Neither the password nor a token reaches a log record, an error or a repr."""

from __future__ import annotations

import logging

import pytest

from django_octy.octopus import OctopusClient, OctopusEntryError
from django_octy.testing import FakeOctopus

from .conftest import ClientFactory, company


def test_password_and_tokens_never_leak(
    make_client: ClientFactory, crm: FakeOctopus, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    seen: list[str] = [repr(client), str(client)]
    crm.inject("Create", status=503)
    client.create_entry(company("A"))
    crm.expire_tokens()
    crm.reject_entry("CompanyName", "B", "Refused")
    with pytest.raises(OctopusEntryError) as info:
        client.create_entry(company("B"))
    seen += [str(info.value), repr(info.value), repr(vars(info.value))]
    seen += [record.getMessage() + repr(vars(record)) for record in caplog.records]
    seen += [repr(entry) for entry in crm.request_log]
    tokens = list(crm.state.sessions)
    assert len(tokens) == 1
    everything = "\n".join(seen)
    assert crm.password not in everything
    assert tokens[0] not in everything
    assert any(
        r.name == "django_octy.octopus" and r.levelno == logging.WARNING for r in caplog.records
    )


def test_a_personal_token_is_masked_in_the_repr() -> None:
    client = OctopusClient("https://crm.example/octopus", token="pat-very-secret")
    assert repr(client) == "OctopusClient(base_url='https://crm.example/octopus', token='********')"
