"""What the client logs: one line per request, with its facts and none of its data."""

from __future__ import annotations

import logging

import pytest

from django_octy.client import OctyClient
from django_octy.testing import FakeOcty

from .data import profile

CREATE_PROFILES = "/v1/retention/profiles/create"


def client_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django_octy.client"]


def test_one_debug_line_per_request_with_its_facts(
    client: OctyClient, caplog: pytest.LogCaptureFixture
) -> None:
    client.create_profiles([profile("c1", profile_data={"note": "private-data-never-logged"})])
    [record] = client_records(caplog)
    assert record.levelno == logging.DEBUG
    assert record.octy_method == "POST"  # type: ignore[attr-defined]
    assert record.octy_path == CREATE_PROFILES  # type: ignore[attr-defined]
    assert record.octy_status == 201  # type: ignore[attr-defined]
    assert record.octy_objects == 1  # type: ignore[attr-defined]
    assert 0 < record.octy_duration < 5  # type: ignore[attr-defined]
    assert record.getMessage().startswith(f"Octy POST {CREATE_PROFILES} -> 201 (1 objects) in ")
    everything = "\n".join(repr(vars(r)) for r in caplog.records)
    assert "private-data-never-logged" not in everything


def test_failures_and_retries_are_logged_as_warnings_and_info(
    client: OctyClient, octy: FakeOcty, caplog: pytest.LogCaptureFixture
) -> None:
    octy.inject(CREATE_PROFILES, status=503, times=1)
    client.create_profiles([profile("c1")])
    failed, retry, succeeded = client_records(caplog)
    assert (failed.levelno, failed.octy_status) == (logging.WARNING, 503)  # type: ignore[attr-defined]
    assert "HTTP 503" in failed.getMessage()
    assert retry.levelno == logging.INFO
    assert retry.getMessage().startswith(f"Octy POST {CREATE_PROFILES} failed (HTTP 503); retry 1")
    assert (succeeded.levelno, succeeded.octy_status) == (logging.DEBUG, 201)  # type: ignore[attr-defined]
