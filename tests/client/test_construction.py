"""Building a client: URL and option checks, settings dicts, the masked repr, forks."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
import requests

from django_octy.client import OctyClient, OctyConfigurationError
from django_octy.testing import FakeOcty

from .conftest import ClientFactory
from .evidence import raises


def test_plain_http_url_is_refused(octy: FakeOcty) -> None:
    with raises(OctyConfigurationError) as info:
        OctyClient(octy.public_key, octy.secret_key, base_url=octy.url)
    assert "not HTTPS" in str(info.value)
    assert 'set OCTY["ALLOW_INSECURE_BASE_URL"] = True' in str(info.value), "the setting, named"
    assert "allow_insecure=True" in str(info.value)
    assert octy.request_log == []


def test_plain_http_url_is_accepted_when_allowed(octy: FakeOcty) -> None:
    client = OctyClient(octy.public_key, octy.secret_key, base_url=octy.url, allow_insecure=True)
    client.authenticate()
    assert [entry.status for entry in octy.request_log] == [200]


def test_https_is_the_default() -> None:
    client = OctyClient("pk_live", "sk_live")
    assert client.base_url == "https://api.octy.ai"


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("ftp://api.octy.ai", "not an http(s) URL"),
        ("api.octy.ai", "not an http(s) URL"),
        ("https://", "not an http(s) URL"),
        ("https://pk_live:sk_in_the_url@api.octy.ai", "must not contain credentials"),
    ],
)
def test_unusable_urls_are_refused_without_echoing_them(base_url: str, message: str) -> None:
    with raises(OctyConfigurationError) as info:
        OctyClient("pk_live", "sk_live", base_url=base_url)
    assert message in str(info.value)
    assert "sk_in_the_url" not in str(info.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"public_key": ""}, "are both required"),
        ({"secret_key": ""}, "are both required"),
        ({"max_retries": -1}, "max_retries"),
        ({"timeout": 0}, "timeouts must be positive"),
        ({"timeout": (5, -1)}, "timeouts must be positive"),
        ({"requests_per_minute": -5}, "requests_per_minute"),
    ],
)
def test_unusable_options_are_refused(options: dict[str, Any], message: str) -> None:
    with raises(OctyConfigurationError) as info:
        OctyClient(**{"public_key": "pk_live", "secret_key": "sk_live", **options})
    assert message in str(info.value)


def test_repr_masks_the_secret_key() -> None:
    client = OctyClient("pk_live_123", "sk_live_very_secret")
    assert repr(client) == (
        "OctyClient(base_url='https://api.octy.ai', public_key='pk_live_123', "
        "secret_key='********')"
    )
    assert "sk_live_very_secret" not in str(client)


def test_one_timeout_number_is_used_for_connect_and_read() -> None:
    assert OctyClient("pk", "sk", timeout=12).timeout == (12.0, 12.0)
    assert OctyClient("pk", "sk").timeout == (5.0, 30.0)


def test_from_config_reads_octy_style_settings(octy: FakeOcty) -> None:
    client = OctyClient.from_config(
        {
            "PUBLIC_KEY": octy.public_key,
            "SECRET_KEY": octy.secret_key,
            "BASE_URL": octy.url,
            "ALLOW_INSECURE_BASE_URL": True,
            "TIMEOUT": 4,
            "MAX_RETRIES": 1,
            "REQUESTS_PER_MINUTE": 6000,
            "BATCH_SIZE": 500,  # not the client's: ignored
        }
    )
    assert (client.timeout, client.max_retries, client.requests_per_minute) == ((4.0, 4.0), 1, 6000)
    client.authenticate()
    assert [entry.status for entry in octy.request_log] == [200]


def test_from_config_uses_defaults_for_absent_keys() -> None:
    client = OctyClient.from_config({"PUBLIC_KEY": "pk_live", "SECRET_KEY": "sk_live"})
    assert client.base_url == "https://api.octy.ai"
    assert (client.timeout, client.max_retries, client.requests_per_minute) == (
        (5.0, 30.0),
        3,
        None,
    )


def test_from_config_without_keys_is_a_configuration_error() -> None:
    with raises(OctyConfigurationError):
        OctyClient.from_config({"BASE_URL": "https://api.octy.ai"})


def test_a_forked_process_gets_its_own_session(
    make_client: ClientFactory, octy: FakeOcty, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client()
    client.authenticate()
    parent_session = client._transport._per_process().session
    child_pid = os.getpid() + 1
    monkeypatch.setattr(os, "getpid", lambda: child_pid)
    client.authenticate()
    child_session = client._transport._per_process().session
    assert child_session is not parent_session
    assert [entry.status for entry in octy.request_log] == [200, 200]


def test_a_given_session_is_used_and_left_open(octy: FakeOcty) -> None:
    session = requests.Session()
    with OctyClient(
        octy.public_key, octy.secret_key, base_url=octy.url, allow_insecure=True, session=session
    ) as client:
        client.authenticate()
        assert client._transport._per_process().session is session
    assert session.adapters  # not closed by the client
    session.close()


def test_the_client_does_not_need_django() -> None:
    code = (
        "import sys; import django_octy.client; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
