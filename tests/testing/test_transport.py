"""Octy's transport rules: auth, JSON only, Content-Length, the 500-object limit, 404/405."""

from __future__ import annotations

import base64
import http.client
import json

import pytest
import requests

from django_octy.testing import FakeOcty
from tests.client.data import profile

from .conftest import Api, assert_octy_error

PROFILES = "/v1/retention/profiles"


def test_keys_are_random_test_keys_unless_given() -> None:
    first, second = FakeOcty(), FakeOcty()
    assert first.public_key.startswith("pk_test_") and first.secret_key.startswith("sk_test_")
    assert first.secret_key != second.secret_key
    given = FakeOcty(public_key="pk_mine", secret_key="sk_mine")
    assert (given.public_key, given.secret_key) == ("pk_mine", "sk_mine")
    assert "sk_" not in repr(given)


def test_port_zero_picks_a_free_port_and_stop_closes_it() -> None:
    octy = FakeOcty().start()
    try:
        assert octy.url.startswith("http://127.0.0.1:") and octy.port > 0
        assert requests.get(octy.url + "/v1/account/authenticate", timeout=5).status_code == 401
    finally:
        octy.stop()
    try:
        requests.get(octy.url + "/v1/account/authenticate", timeout=5)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the server still answers after stop()")


def test_a_busy_port_raises_oserror() -> None:
    with FakeOcty() as running, pytest.raises(OSError):
        FakeOcty(port=running.port).start()


def test_authenticate_accepts_the_keys(api: Api) -> None:
    response = api.get("/v1/account/authenticate")
    assert response.status_code == 200
    assert response.json()["request_meta"]["request_status"] == "Success"


def test_missing_or_wrong_keys_get_401(octy_server: FakeOcty) -> None:
    url = octy_server.url + "/v1/account/authenticate"
    assert_octy_error(requests.get(url, timeout=5), 401)
    wrong = requests.get(url, auth=(octy_server.public_key, "sk_test_wrong"), timeout=5)
    error = assert_octy_error(wrong, 401)
    assert "sk_test_wrong" not in wrong.text and octy_server.secret_key not in wrong.text
    assert error["reason"] == "Unauthorized"
    swapped = requests.get(url, auth=(octy_server.secret_key, octy_server.public_key), timeout=5)
    assert_octy_error(swapped, 401)


def test_the_bare_base64_credentials_octys_clients_send_are_accepted(
    octy_server: FakeOcty,
) -> None:
    """Octy's own clients send ``Authorization: <base64 of pk:sk>`` without ``Basic``
    (``Octy-ai/octy-cli``, ``internal/adapters/secondary/rest/auth.go``)."""
    url = octy_server.url + "/v1/account/authenticate"
    token = _basic(octy_server).removeprefix("Basic ")
    assert requests.get(url, headers={"Authorization": token}, timeout=5).status_code == 200
    wrong = base64.b64encode(f"{octy_server.public_key}:sk_x".encode()).decode()
    assert_octy_error(requests.get(url, headers={"Authorization": wrong}, timeout=5), 401)
    assert_octy_error(requests.get(url, headers={"Authorization": "not base64!"}, timeout=5), 401)


def test_error_body_is_exactly_octys_shape(api: Api) -> None:
    body = api.get("/v1/nowhere").json()
    assert set(body) == {"request_meta", "error"}
    assert body["request_meta"] == {"request_status": "Failure", "message": "Not Found"}
    assert set(body["error"]) == {"code", "reason", "errors"}
    assert set(body["error"]["errors"][0]) == {"error_message", "extended_help"}


def test_post_must_be_json(api: Api) -> None:
    response = api.session.post(
        api.octy.url + PROFILES + "/create",
        data="customer_id=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert_octy_error(response, 415)
    assert not api.octy.profiles


def test_post_without_content_length_gets_411(octy_server: FakeOcty) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", octy_server.port, timeout=5)
    try:
        connection.putrequest("POST", PROFILES + "/create")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Authorization", _basic(octy_server))
        connection.endheaders()
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 411
    assert body["error"]["code"] == "411"


def test_invalid_json_and_missing_array_get_400(api: Api) -> None:
    response = api.session.post(
        api.octy.url + PROFILES + "/create",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert_octy_error(response, 400)
    error = assert_octy_error(api.post(PROFILES + "/create", {"profile": []}), 400)
    assert "'profiles'" in error["errors"][0]["error_message"]


def test_500_objects_pass_and_501_get_413(api: Api) -> None:
    profiles = [profile(f"c{i}") for i in range(501)]
    error = assert_octy_error(api.post(PROFILES + "/create", {"profiles": profiles}), 413)
    assert "501" in error["errors"][0]["error_message"]
    assert not api.octy.profiles
    response = api.post(PROFILES + "/create", {"profiles": profiles[:500]})
    assert response.status_code == 201
    assert len(api.octy.profiles) == 500


def test_unknown_path_is_404_and_wrong_method_is_405(api: Api) -> None:
    assert_octy_error(api.get("/v1/retention/unknown"), 404)
    assert_octy_error(api.post("/v1/retention/profiles/creat", {"profiles": []}), 404)
    assert_octy_error(api.get(PROFILES + "/create"), 405)
    assert_octy_error(api.post(PROFILES, {"profiles": []}), 405)


def test_unknown_path_is_404_even_without_keys(octy_server: FakeOcty) -> None:
    assert_octy_error(requests.get(octy_server.url + "/v2/anything", timeout=5), 404)


def _basic(octy: FakeOcty) -> str:
    token = base64.b64encode(f"{octy.public_key}:{octy.secret_key}".encode()).decode()
    return f"Basic {token}"
