"""The secret key never shows: not in errors, their reprs, log records or the client's repr."""

from __future__ import annotations

import pytest

from django_octy.client import (
    OctyAuthError,
    OctyBadRequest,
    OctyConfigurationError,
    OctyError,
    OctyRateLimited,
    OctyServerError,
    OctyTransportError,
)
from django_octy.testing import FakeOcty

from .conftest import ClientFactory
from .data import profile
from .evidence import EVIDENCE, raises


def provoke_every_failure(octy: FakeOcty, make_client: ClientFactory) -> None:
    """Errors of every kind, so that the audit means something even when run alone."""
    client = make_client(max_retries=1)
    octy.inject("/v1/account/authenticate", status=429, retry_after=0.1, times=2)
    octy.inject("/v1/retention/items", status=500, times=2)
    octy.inject("/v1/retention/segments", drop_connection=True, times=2)
    octy.inject("/v1/retention/messaging", delay=1.0, times=1)
    cases: list[tuple[type[OctyError], object]] = [
        (OctyRateLimited, client.authenticate),
        (OctyServerError, lambda: list(client.get_items())),
        (OctyTransportError, lambda: list(client.get_segments())),
        (OctyBadRequest, lambda: list(client.get_profiles(ids=["nobody"]))),
        (OctyAuthError, make_client(secret_key=octy.secret_key[::-1]).authenticate),
        (
            OctyTransportError,
            lambda: list(make_client(timeout=(1.0, 0.2), max_retries=0).get_templates()),
        ),
        (OctyConfigurationError, lambda: make_client(allow_insecure=False)),
        (OctyConfigurationError, lambda: make_client(base_url=f"http://pk:{octy.secret_key}@x")),
    ]
    for expected, call in cases:
        with raises(expected):
            call()  # type: ignore[operator]
    client.create_profiles([profile("c1"), profile("c1")])


def test_secret_key_never_leaks(
    octy: FakeOcty, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    provoke_every_failure(octy, make_client)
    EVIDENCE.add_records(caplog.records)
    EVIDENCE.texts.append(repr(make_client()))
    assert EVIDENCE.errors >= 8
    assert any("Octy GET /v1/account/authenticate -> 429" in text for text in EVIDENCE.texts)
    assert EVIDENCE.leaks() == []
