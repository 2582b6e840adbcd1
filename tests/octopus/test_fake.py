"""The fake Octopus's own rules, spoken to over raw HTTP."""

from __future__ import annotations

from typing import Any

import requests

from django_octy.testing import FakeOctopus

from .conftest import login, post


def test_failures_are_http_200_with_code_minus_one(crm: FakeOctopus) -> None:
    wrong = post(crm, "Authenticate", {"Database": crm.database, "UID": crm.uid, "Password": "x"})
    no_token = post(crm, "Read", {"AbEntry": {"Scope": {"Fields": {"Key": 1}}}})
    bad_token = post(crm, "Read", {"AbEntry": {"Scope": {"Fields": {"Key": 1}}}}, "forged")
    for response in (wrong, no_token, bad_token):
        assert response.status_code == 200
        assert response.json()["Code"] == -1
    assert no_token.json()["Msg"] == ["Token is invalid"]
    assert bad_token.json()["Msg"] == ["Token is invalid"]


def test_the_body_must_name_the_entity(crm: FakeOctopus) -> None:
    token = login(crm)
    answer = post(crm, "Create", {"Data": {"Key": None, "Type": "Company"}}, token).json()
    assert answer["Code"] == -1
    assert "AbEntry" in answer["Msg"][0]
    created = post(
        crm, "Create", {"AbEntry": {"Data": {"Type": "Company", "CompanyName": "A"}}}, token
    ).json()
    assert created["Code"] == -1  # a create sends "Key": null
    assert crm.entries == {}


def test_unknown_methods_and_verbs(crm: FakeOctopus) -> None:
    assert post(crm, "Explode", {}).status_code == 404
    assert requests.get(f"{crm.url}/Read", timeout=5).status_code == 405


def test_pages_are_asked_for_by_base64_offsets(crm: FakeOctopus) -> None:
    """maximizercrm/octopus-api, postman/collections/OctopusAPI.json (OrderBy, Pagination):
    page 1 sends "PageKey": null, page 2 of 10 sends "MTA=" (base64 of "10") with Top 10."""
    token = login(crm)
    for index in range(12):
        data = {"Key": None, "Type": "Company", "CompanyName": f"C{index:02d}"}
        assert post(crm, "Create", {"AbEntry": {"Data": data}}, token).json()["Code"] == 0

    def page(key: str | None) -> dict[str, Any]:
        read = {
            "Scope": {"Fields": {"CompanyName": 1}},
            "Criteria": {"SearchQuery": {"Type": {"$EQ": "Company"}}, "Top": 10},
            "OrderBy": {"PageKey": key, "PageSize": 10, "Fields": [{"CreationDate": "ASC"}]},
        }
        answer: dict[str, Any] = post(crm, "Read", {"AbEntry": read}, token).json()
        return answer

    first, second = page(None), page("MTA=")
    assert [row["CompanyName"] for row in first["AbEntry"]["Data"]][-1] == "C09"
    assert [row["CompanyName"] for row in second["AbEntry"]["Data"]] == ["C10", "C11"]
    assert "PageKey" not in first["AbEntry"]  # the answer's name for it is not published
    assert page("not base64!")["Code"] == -1


def test_beta_warnings_ride_along_with_success() -> None:
    with FakeOctopus(password="pw", beta_warning=True) as crm:
        token = login(crm)
        data = {"Key": None, "Type": "Company", "CompanyName": "A"}
        answer = post(crm, "Create", {"AbEntry": {"Data": data}}, token).json()
        assert (answer["Code"], answer["Msg"]) == (0, ["This method is in beta."])


def test_reset_forgets_entries_tokens_faults_and_log(crm: FakeOctopus) -> None:
    token = login(crm)
    data = {"Key": None, "Type": "Company", "CompanyName": "A"}
    post(crm, "Create", {"AbEntry": {"Data": data}}, token)
    crm.inject("Read", status=503, times=None)
    crm.reset()
    assert (crm.entries, crm.request_log) == ({}, [])
    assert post(crm, "TokenValid", {}, token).json()["Code"] == -1
    assert (
        post(crm, "Read", {"AbEntry": {"Scope": {"Fields": {"Key": 1}}}}, login(crm)).status_code
        == 200
    )


def test_octopus_server_fixture_is_fresh_per_test(octopus_server: FakeOctopus) -> None:
    assert octopus_server.entries == {}
    assert octopus_server.request_log == []
    assert octopus_server.url.startswith("http://127.0.0.1:")


def test_verify_token_answers_200_or_401(crm: FakeOctopus) -> None:
    """maximizercrm/octopus-api, postman/collections/OctopusAPI.json (Authentication / Token
    Validation): VerifyToken takes the token in the header only and answers HTTP 200 for a
    valid one, 401 for an invalid or expired one; TokenValid answers Code -1 instead."""
    token = login(crm)

    def verify() -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return requests.get(f"{crm.url}/VerifyToken", headers=headers, timeout=5).status_code

    assert verify() == 200
    crm.expire_tokens()
    assert verify() == 401
    assert post(crm, "TokenValid", {}, token).json() == {"Code": -1, "Msg": ["Token is invalid"]}
