"""Session tokens: lazy authentication, one re-authentication on expiry, personal tokens."""

from __future__ import annotations

import time
from typing import Any

import pytest

from django_octy.octopus import (
    OctopusAuthError,
    OctopusClient,
    OctopusConfigurationError,
    decode_key,
)
from django_octy.testing import FakeOctopus

from .conftest import ClientFactory, company, methods


def test_authentication_is_lazy_and_happens_once(client: OctopusClient, crm: FakeOctopus) -> None:
    assert crm.request_log == []
    client.create_entry(company("A"))
    client.create_entry(company("B"))
    assert methods(crm) == ["Authenticate", "Create", "Create"]


def test_token_expiry_mid_run_reauthenticates_once_and_continues(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    client.create_entry(company("Before"))
    crm.expire_tokens()
    client.create_entry(company("After"))
    client.create_entry(company("Later"))
    assert methods(crm) == ["Authenticate", "Create", "Create", "Authenticate", "Create", "Create"]
    assert [entry.code for entry in crm.request_log] == [0, 0, -1, 0, 0, 0]
    names = sorted(entry["CompanyName"] for entry in crm.entries.values())
    assert names == ["After", "Before", "Later"]


def test_an_idle_token_expires_after_its_ttl() -> None:
    with FakeOctopus(password="pw", token_ttl=0.2) as short:
        client = OctopusClient(
            short.url, database=short.database, uid=short.uid, password="pw", allow_insecure=True
        )
        client.create_entry(company("A"))
        time.sleep(0.4)
        client.create_entry(company("B"))
        client.close()
        assert methods(short).count("Authenticate") == 2
        assert len(short.entries) == 2


def test_keys_change_between_sessions_but_not_the_identity(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    first_key = client.create_entry(company("ABC"))["Key"]
    crm.expire_tokens()
    [row] = client.read_entries({"Key": 1})
    assert row["Key"] != first_key
    assert decode_key(row["Key"]) == decode_key(first_key)
    client.update_entry({"Key": first_key, "Phone": "1"})  # a Key from the old session still works
    assert crm.entries[decode_key(first_key).stable_id]["Phone"] == "1"


def test_a_token_still_refused_after_reauthenticating_is_an_auth_error(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    crm.token_ttl = -1.0  # every token is already expired when it is used
    with pytest.raises(OctopusAuthError) as info:
        client.create_entry(company("A"))
    assert not info.value.retryable
    assert methods(crm) == ["Authenticate", "Create", "Authenticate", "Create"]
    assert crm.entries == {}


def test_wrong_credentials_are_refused_without_retrying(
    make_client: ClientFactory, crm: FakeOctopus
) -> None:
    client = make_client(password="wrong")
    with pytest.raises(OctopusAuthError, match="refused the credentials"):
        client.create_entry(company("A"))
    assert methods(crm) == ["Authenticate"]
    assert crm.request_log[0].body["Password"] == "********"


def test_a_personal_token_is_used_as_it_is() -> None:
    with FakeOctopus(personal_token="pat-secret-1") as crm:
        client = OctopusClient(crm.url, token="pat-secret-1", allow_insecure=True)
        client.create_entry(company("A"))
        crm.expire_tokens()  # session tokens only
        client.create_entry(company("B"))
        assert client.token_valid()
        wrong = OctopusClient(crm.url, token="pat-wrong", allow_insecure=True)
        with pytest.raises(OctopusAuthError):
            wrong.create_entry(company("C"))
        assert not wrong.token_valid()
        for made in (client, wrong):
            made.close()
        assert methods(crm) == ["Create", "Create", "TokenValid", "Create", "TokenValid"]
        assert len(crm.entries) == 2


def test_token_valid_reports_without_reauthenticating(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    assert client.token_valid()
    crm.expire_tokens()
    assert not client.token_valid()
    assert methods(crm) == ["Authenticate", "TokenValid", "TokenValid"]


def test_system_info_needs_no_token(client: OctopusClient, crm: FakeOctopus) -> None:
    assert client.system_info()["Version"] == "fake"
    assert methods(crm) == ["GetSystemInfo"]


def test_vendor_id_and_app_key_are_sent_when_the_server_needs_them() -> None:
    with FakeOctopus(password="pw", vendor_id="v-1", app_key="app-secret") as crm:
        options: dict[str, Any] = {"database": crm.database, "uid": crm.uid, "password": "pw"}
        without = OctopusClient(crm.url, allow_insecure=True, **options)
        with pytest.raises(OctopusAuthError):
            without.authenticate()
        cloud = OctopusClient(
            crm.url, allow_insecure=True, vendor_id="v-1", app_key="app-secret", **options
        )
        cloud.authenticate()
        for made in (without, cloud):
            made.close()
        assert [entry.code for entry in crm.request_log] == [-1, 0]
        assert crm.request_log[1].body["AppKey"] == "********"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "personal access token, or a database, uid and password"),
        ({"database": "d", "uid": "u"}, "personal access token"),
        ({"token": "t", "base_url": "http://crm.example"}, "not HTTPS"),
        ({"token": "t", "base_url": "http://crm.example"}, 'set OCTOPUS["ALLOW_INSECURE"] = True'),
        ({"token": "t", "base_url": "https://u:pw@crm.example"}, "must not contain credentials"),
        ({"token": "t", "method_style": "soap"}, "method_style"),
        ({"token": "t", "max_retries": -1}, "max_retries"),
        ({"token": "t", "timeout": 0}, "timeouts must be positive"),
    ],
)
def test_unusable_construction_is_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(OctopusConfigurationError) as info:
        OctopusClient(**options)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert "pw@" not in str(info.value)


def test_from_config_reads_octopus_settings(octopus_settings: FakeOctopus) -> None:
    from django.conf import settings

    with OctopusClient.from_config({**settings.OCTOPUS, "TOKEN": ""}) as client:
        client.create_entry(company("From settings"))
    assert methods(octopus_settings) == ["Authenticate", "Create"]
