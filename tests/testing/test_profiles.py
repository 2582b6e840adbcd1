"""Profiles: ids, partial failures, pagination, lookups, computed fields, merging."""

from __future__ import annotations

import re

import pytest

from django_octy.testing import FakeOcty
from django_octy.testing.dialect import Dialect
from tests.client.data import profile

from .conftest import Api, assert_octy_error

PROFILES = "/v1/retention/profiles"


def test_create_assigns_octy_ids_and_timestamps(api: Api) -> None:
    body = {
        "profiles": [
            {
                "customer_id": "2748275927498",
                "has_charged": True,
                "profile_data": {"likes": 4300, "gender": "female"},
                "platform_info": {"os": "ios"},
            }
        ]
    }
    response = api.post(PROFILES + "/create", body)
    assert response.status_code == 201
    created = response.json()["profiles"][0]
    assert re.fullmatch(r"profile_[0-9a-f]{32}", created["profile_id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", created["created_at"])
    assert created["customer_id"] == "2748275927498"
    assert created["profile_data"] == {"likes": 4300, "gender": "female"}
    assert created["status"] == "active"
    assert response.json()["failed_to_create"] == []
    stored = api.octy.profiles["2748275927498"]
    assert stored["profile_id"] == created["profile_id"] and stored["has_charged"] is True


def test_create_fails_duplicates_and_bad_fields_but_keeps_the_rest(api: Api) -> None:
    api.create_profiles("existing")
    body = {
        "profiles": [
            profile("existing"),
            profile("fresh"),
            profile("fresh"),
            {"has_charged": False},
            profile("typed", has_charged="yes"),
            profile(42),
            profile("extra", favourite="blue"),
            "not an object",
        ]
    }
    response = api.post(PROFILES + "/create", body)
    assert response.status_code == 201
    assert [p["customer_id"] for p in response.json()["profiles"]] == ["fresh"]
    failed = response.json()["failed_to_create"]
    messages = [f["error_message"] for f in failed]
    assert [f["customer_id"] for f in failed] == [
        "existing",
        "fresh",
        None,
        "typed",
        42,
        "extra",
        "not an object",
    ]
    assert "already exists" in messages[0] and "already exists" in messages[1]
    assert messages[2] == "Missing required profile field 'customer_id'"
    assert messages[3] == "Profile field 'has_charged' must be a boolean, got string"
    assert messages[4] == "Profile field 'customer_id' must be a non-empty string, got integer"
    assert messages[5] == "Unknown profile field(s): favourite"
    assert "must be an object" in messages[6]
    assert set(api.octy.profiles) == {"existing", "fresh"}


def test_update_changes_fields_and_fails_unknown_profile_ids(api: Api) -> None:
    ids = api.create_profiles("c1")
    body = {
        "profiles": [
            {
                "profile_id": ids["c1"],
                "customer_id": "c1",
                "profile_data": {"age": 30},
                "status": "inactive",
                "has_charged": True,
            },
            {"profile_id": "profile_unknown", "customer_id": "c2"},
        ]
    }
    response = api.post(PROFILES + "/update", body)
    assert response.status_code == 200
    [updated] = response.json()["profiles"]
    assert updated["profile_data"] == {"age": 30} and updated["status"] == "inactive"
    assert "last_updated" in updated
    assert response.json()["failed_to_update"] == [
        {
            "profile_id": "profile_unknown",
            "error_message": "No profile found with profile_id 'profile_unknown'",
        }
    ]
    assert api.octy.profiles["c1"]["has_charged"] is True


def test_update_can_change_customer_id_but_not_to_a_taken_one(api: Api) -> None:
    ids = api.create_profiles("anon-1", "taken")
    body = {
        "profiles": [
            {"profile_id": ids["anon-1"], "customer_id": "taken"},
            {"profile_id": ids["anon-1"], "customer_id": "user-7"},
        ]
    }
    response = api.post(PROFILES + "/update", body)
    assert [f["profile_id"] for f in response.json()["failed_to_update"]] == [ids["anon-1"]]
    assert set(api.octy.profiles) == {"user-7", "taken"}
    assert api.octy.profiles["user-7"]["profile_id"] == ids["anon-1"]


def test_delete_removes_profiles_and_reports_unknown_ones(api: Api) -> None:
    ids = api.create_profiles("c1", "c2")
    response = api.post(PROFILES + "/delete", {"profile_ids": [ids["c1"], "profile_nope", 7]})
    assert response.json()["deleted_profiles"] == [{"profile_id": ids["c1"]}]
    assert [f["profile_id"] for f in response.json()["failed_to_delete"]] == ["profile_nope", 7]
    assert set(api.octy.profiles) == {"c2"}


@pytest.mark.parametrize(
    ("meaning", "headers"),
    [("rows", ["500", "500", "203"]), ("position", ["500", "1000", "1203"])],
)
def test_listing_pages_by_cursor_header(api: Api, meaning: str, headers: list[str]) -> None:
    """By default the response's ``cursor`` header counts the rows returned, as Octy's
    command-line client reads it (it adds the header to its running cursor:
    ``Octy-ai/octy-cli``, ``internal/adapters/secondary/rest/eventtypes.go``); the other
    reading, the next position, is one setting away."""
    api.octy.dialect = Dialect(cursor_header=meaning)
    for start in (0, 500, 1000):
        api.create_profiles(*(f"c{n:04}" for n in range(start, min(start + 500, 1203))))
    seen: list[str] = []
    answered: list[str] = []
    position = 0
    pages = []
    while True:
        response = api.get(PROFILES, headers={"cursor": str(position)})
        assert response.status_code == 200
        meta = response.json()["request_meta"]
        page = response.json()["profiles"]
        pages.append((meta["count"], meta["total"]))
        seen.extend(p["customer_id"] for p in page)
        answered.append(response.headers["cursor"])
        position += len(page)
        if len(page) < 500 or position >= meta["total"]:
            break
    assert pages == [(500, 1203), (500, 1203), (203, 1203)]
    assert answered == headers
    assert seen == [f"c{n:04}" for n in range(1203)]


def test_bad_cursor_is_400(api: Api) -> None:
    assert_octy_error(api.get(PROFILES, headers={"cursor": "abc"}), 400)


def test_lookup_by_id_and_ids(api: Api) -> None:
    ids = api.create_profiles("c1", "c2", "c3")
    one = api.get(PROFILES, params={"id": ids["c2"]}).json()
    assert [p["customer_id"] for p in one["profiles"]] == ["c2"]
    several = api.get(PROFILES, params={"ids": f"{ids['c3']},profile_nope,{ids['c1']}"}).json()
    assert [p["customer_id"] for p in several["profiles"]] == ["c3", "c1"]
    assert several["request_meta"]["count"] == 2
    error = assert_octy_error(api.get(PROFILES, params={"ids": "profile_nope"}), 400)
    assert error["reason"] == "Invalid customer identifier provided"
    assert error["errors"][0]["error_message"] == "No customer profiles were found."


def test_computed_fields_are_settable_returned_and_filterable(api: Api) -> None:
    ids = api.create_profiles("low", "mid", "high", "unscored")
    octy = api.octy
    octy.set_profile_insights("low", churn_probability="low", rfm_score=211)
    octy.set_profile_insights("mid", churn_probability="high", rfm_score=333, segment_tags=["vip"])
    octy.set_profile_insights("high", churn_probability="high", rfm_score=444)
    [mid] = api.get(PROFILES, params={"id": ids["mid"]}).json()["profiles"]
    assert (mid["churn_probability"], mid["rfm_score"], mid["segment_tags"]) == (
        "high",
        333,
        ["vip"],
    )

    def customers(**params: str) -> list[str]:
        return [p["customer_id"] for p in api.get(PROFILES, params=params).json()["profiles"]]

    assert customers(churn_prob="high") == ["mid", "high"]
    assert customers(rfm="300-400") == ["mid"]
    assert customers(rfm="444") == ["high"]
    assert customers(churn_prob="high", rfm="400-555") == ["high"]
    total = api.get(PROFILES, params={"churn_prob": "high"}).json()["request_meta"]["total"]
    assert total == 2
    assert_octy_error(api.get(PROFILES, params={"rfm": "high"}), 400)


def test_merge_retires_the_child_and_metadata_reports_it(api: Api) -> None:
    """Labels and the child's ``profile_exists: false`` as Octy's own integration reads them
    (``Octy-ai/octy-shopify``, ``internal/application/api/customer_api.go``)."""
    octy = api.octy
    assert api.post("/v1/configurations/account/set", {"authenticated_id_key": "shop_id"}).ok
    ids = api.create_profiles("anon-1", "anon-2")
    api.post(
        PROFILES + "/create",
        {"profiles": [profile("user-1", profile_data={"shop_id": "S-9"})]},
    )
    parent_id = octy.profiles["user-1"]["profile_id"]
    octy.merge_profiles("anon-1", "user-1")

    assert set(octy.profiles) == {"anon-2", "user-1"}
    update = api.post(PROFILES + "/update", {"profiles": [{"profile_id": ids["anon-1"]}]})
    [failed] = update.json()["failed_to_update"]
    assert (
        failed["error_message"]
        == f"Profile '{ids['anon-1']}' was merged into profile '{parent_id}'"
    )
    event = {"event_type": "charged", "profile_id": ids["anon-1"], "event_properties": {}}
    assert_octy_error(api.post("/v1/retention/events/create", event), 400)

    meta = api.get(PROFILES + "/metadata", params={"ids": f"anon-1,{parent_id},anon-2,who"})
    child, parent, plain, unknown = meta.json()["profiles_meta"]
    assert child["provided_identifier"] == "anon-1"
    assert child["profile"]["profile_exists"] is False
    assert child["merged_info"]["was_merged"] is True
    assert child["merged_info"]["parent_or_child"] == "child_profile"
    assert child["merged_info"]["parent_profile"] == {
        "parent_profile_id": parent_id,
        "parent_customer_id": "user-1",
    }
    assert child["merged_info"]["authenticated_id_key"] == "shop_id"
    assert child["merged_info"]["authenticated_id_value"] == "S-9"
    assert parent["profile"]["profile_exists"] is True
    assert parent["merged_info"]["parent_or_child"] == "parent_profile"
    assert parent["merged_info"]["merged_child_profiles"] == [
        {"profile_id": ids["anon-1"], "customer_id": "anon-1"}
    ]
    assert plain["merged_info"]["was_merged"] is False
    assert unknown["profile"]["profile_exists"] is False
    assert unknown["merged_info"]["was_merged"] is False, "deleted or never created"


def test_metadata_needs_identifiers(api: Api) -> None:
    assert_octy_error(api.get(PROFILES + "/metadata"), 400)


def test_inspection_returns_copies(octy_server: FakeOcty, api: Api) -> None:
    api.create_profiles("c1")
    octy_server.profiles.clear()
    octy_server.profiles["c1"]["status"] = "changed"
    assert set(octy_server.profiles) == {"c1"}
    assert octy_server.profiles["c1"]["status"] == "active"


def test_profiles_need_a_key_value_pair_in_profile_data_and_platform_info(api: Api) -> None:
    """Octy asks for at least one key/value pair in each (Octy's API reference,
    https://api-docs.octy.ai/, profiles; octy-api.md, "Checked against Octy's own clients")."""
    ids = api.create_profiles("kept")
    body = {
        "profiles": [
            profile("empty-data", profile_data={}),
            profile("empty-platform", platform_info={}),
            {"customer_id": "bare"},
            profile("fine"),
        ]
    }
    created = api.post(PROFILES + "/create", body).json()
    assert [p["customer_id"] for p in created["profiles"]] == ["fine"]
    failed = {f["customer_id"]: f["error_message"] for f in created["failed_to_create"]}
    assert failed["empty-data"] == (
        "Profile field 'profile_data' must be an object with at least one key/value pair, "
        "got object"
    )
    assert "platform_info" in failed["empty-platform"]
    assert failed["bare"] == "Missing required profile field 'profile_data'"
    update = {"profiles": [{"profile_id": ids["kept"], "platform_info": {}}]}
    assert api.post(PROFILES + "/update", update).json()["failed_to_update"]


def test_lookup_by_id_takes_one_identifier_commas_and_all(api: Api) -> None:
    """``?id=`` names one profile, by profile id or customer id, as Octy's Shopify integration
    looks a customer up (``Octy-ai/octy-shopify``,
    ``internal/adapters/framework/secondary/rest/octy_requests.go``)."""
    ids = api.create_profiles("a,b@x.org", "a")
    by_customer = api.get(PROFILES, params={"id": "a,b@x.org"}).json()["profiles"]
    assert [p["profile_id"] for p in by_customer] == [ids["a,b@x.org"]]
    split = api.get(PROFILES, params={"ids": "a,b@x.org"}).json()["profiles"]
    assert [p["customer_id"] for p in split] == ["a"], "a list is split at its commas"
