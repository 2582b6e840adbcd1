"""The fake Octopus accepts the request shapes of the vendor's own collection and answers
in its shapes.

Source of every request shape and answer here: repository maximizercrm/octopus-api, file
postman/collections/OctopusAPI.json (the folder each test names).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from django_octy.octopus import decode_key
from django_octy.testing import FakeOctopus

from .conftest import login, post

COMPATIBLE = {"Compatibility": {"AbEntryKey": "2.0"}}


def call(crm: FakeOctopus, token: str, method: str, body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = post(crm, method, {**body, **COMPATIBLE}, token).json()
    return answer


def create(crm: FakeOctopus, token: str, **data: Any) -> dict[str, Any]:
    answer = call(crm, token, "Create", {"AbEntry": {"Data": {"Key": None, **data}}})
    assert answer["Code"] == 0, answer
    created: dict[str, Any] = answer["AbEntry"]["Data"]
    return created


def read(
    crm: FakeOctopus, token: str, query: Any, fields: dict[str, Any] | None = None, **more: Any
) -> list[dict[str, Any]]:
    request = {
        "Scope": {"Fields": fields or {"Key": 1, "CompanyName": 1}},
        "Criteria": {"SearchQuery": query},
        **more,
    }
    answer = call(crm, token, "Read", {"AbEntry": request})
    assert answer["Code"] == 0, answer
    rows: list[dict[str, Any]] = answer["AbEntry"]["Data"]
    return rows


@pytest.fixture
def token(crm: FakeOctopus) -> str:
    return login(crm)


def test_creates_without_a_type_make_a_company_or_a_contact(crm: FakeOctopus, token: str) -> None:
    """AbEntry folder: without Type a create makes a Company, or a Contact with a ParentKey;
    Write Query Syntax: the answer echoes the Key, the Type and the fields."""
    company = create(crm, token, CompanyName="E. Brown Enterprises", Website="www.e-brown.com")
    person = create(crm, token, LastName="McFly", ParentKey=company["Key"], Phone="123456789")

    assert company["Type"] == "Company" and company["Website"] == "www.e-brown.com"
    assert (person["Type"], person["LastName"], person["Phone"]) == (
        "Contact",
        "McFly",
        "123456789",
    )
    assert decode_key(person["Key"]).type == "Contact"


def test_email_and_phone_objects_and_nested_address_paths(crm: FakeOctopus, token: str) -> None:
    """AbEntry HowTo's (reads with pagination): Email1 {Address, Description}, Phone1 {Number,
    Extension, Description}, Address parts; a nested search by Address/ZipCode."""
    create(
        crm,
        token,
        Type="Company",
        CompanyName="Ultimate Co",
        Email1={"Address": "info@ultimate.example", "Description": "Main"},
        Phone1={"Number": "604-555-0100", "Extension": "12"},
        Address={"City": "Anytown", "ZipCode": "83814", "Description": "Head office"},
    )
    create(crm, token, Type="Company", CompanyName="Other Co", Address={"ZipCode": "10001"})

    fields = {
        "CompanyName": 1,
        "Email1": {"Address": 1, "Description": 1},
        "Phone1": {"Number": 1, "Extension": 1},
        "Address/ZipCode": 1,
    }
    rows = read(crm, token, {"Address": {"ZipCode": {"$EQ": "83814"}}}, fields)
    assert rows == [
        {
            "CompanyName": "Ultimate Co",
            "Email1": {"Address": "info@ultimate.example", "Description": "Main"},
            "Phone1": {"Number": "604-555-0100", "Extension": "12"},
            "Address/ZipCode": "83814",
        }
    ]
    by_email = read(crm, token, {"Email1": {"$EQ": "INFO@ultimate.example"}})
    assert [row["CompanyName"] for row in by_email] == ["Ultimate Co"]


def test_the_wider_field_set_and_user_defined_field_forms(crm: FakeOctopus, token: str) -> None:
    """Scope examples: MiddleName, MrMs, Division; Udf/$NAME(...), Udf/$TYPEID(n); a table
    user-defined field holds its items' keys, and $ALL wants every one of them."""
    create(
        crm,
        token,
        Type="Individual",
        LastName="McFly",
        MiddleName="Seamus",
        MrMs="Mr.",
        Division="Sales",
        **{"Udf/$NAME(Table UDF)": ["1", "3", "5", "7"], "Udf/$TYPEID(111)": "x"},
    )
    create(crm, token, Type="Individual", LastName="Brown", **{"Udf/$NAME(Table UDF)": ["1"]})

    fields = {"LastName": 1, "MiddleName": 1, "MrMs": 1, "Udf/$TYPEID(111)": 1}
    rows = read(crm, token, {"Udf/$NAME(Table UDF)": {"$ALL": ["1", "3", "5"]}}, fields)
    assert rows == [
        {"LastName": "McFly", "MiddleName": "Seamus", "MrMs": "Mr.", "Udf/$TYPEID(111)": "x"}
    ]
    any_of = read(crm, token, {"Udf/$NAME(Table UDF)": {"$IN": ["1"]}}, {"LastName": 1})
    assert [row["LastName"] for row in any_of] == ["McFly", "Brown"]


def test_phrase_takes_a_string(crm: FakeOctopus, token: str) -> None:
    """$PHRASE: names starting with the phrase ("John" finds Johnston and Johnson Brothers),
    an e-mail address with an @; its examples also prefix a label ("Name: Johnson")."""
    create(crm, token, Type="Company", CompanyName="Johnson Brothers Co")
    create(crm, token, Type="Individual", FirstName="Samantha", LastName="Johnston")
    create(crm, token, Type="Individual", LastName="Adams", Email="adams@example.com")

    assert len(read(crm, token, {"$PHRASE": "John"})) == 2
    assert len(read(crm, token, {"$AND": [{"$PHRASE": "Name: Johnson"}]})) == 1
    assert len(read(crm, token, {"$PHRASE": "adams@"})) == 1


def test_an_empty_search_query_reads_everything(crm: FakeOctopus, token: str) -> None:
    """AbEntry CRUD, Read: "SearchQuery": {} with Top 3."""
    for name in ("A", "B", "C", "D"):
        create(crm, token, Type="Company", CompanyName=name)
    assert len(read(crm, token, {})) == 4


def test_ranges_outside_ranges_and_date_functions(crm: FakeOctopus, token: str) -> None:
    """$RANGE / $NRANGE on LastContactDate; $TODAY() and $OFFSET(D-90, $TODAY()) on
    CreationDate; ordering by CreationDate."""
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    contacted = {"Old": "2023-12-20T00:00:00", "Recent": "2024-01-10T00:00:00"}
    for days_ago, name in ((200, "Old"), (30, "Recent"), (0, "Today")):
        crm.state.wall_clock = lambda days=days_ago: now - timedelta(days=days)
        last_contact = contacted.get(name, "2024-01-15T10:00:00")
        create(crm, token, Type="Company", CompanyName=name, LastContactDate=last_contact)
    crm.state.wall_clock = lambda: now

    def names(query: Any, **more: Any) -> list[str]:
        return [row["CompanyName"] for row in read(crm, token, query, **more)]

    january = ["2024-01-01T00:00:00", "2024-01-15T23:59:59"]
    assert names({"LastContactDate": {"$RANGE": january}}) == ["Recent", "Today"]
    assert names({"LastContactDate": {"$NRANGE": january}}) == ["Old"]
    assert names({"CreationDate": {"$LT": "$TODAY()"}}) == ["Old", "Recent"]
    assert names({"CreationDate": {"$GT": "$OFFSET(D-90, $TODAY())"}}) == ["Recent", "Today"]
    newest_first = {"OrderBy": {"Fields": [{"CreationDate": "DESC"}]}}
    assert names({}, **newest_first) == ["Today", "Recent", "Old"]


def test_aliased_payloads_apply_in_order_and_stop_at_the_first_error(
    crm: FakeOctopus, token: str
) -> None:
    """Advanced / Batch Queries: "AbEntry.1", "AbEntry.2"... processed in order, each
    committed alone; an error halts the rest and is the answer."""
    answer = call(
        crm,
        token,
        "Create",
        {
            "AbEntry.1": {"Data": {"Key": None, "Type": "Company", "CompanyName": "My Co"}},
            "AbEntry.2": {"Data": {"Key": None, "Type": "Individual", "LastName": "Doe"}},
        },
    )
    assert answer["Code"] == 0
    assert [answer[name]["Data"]["Type"] for name in ("AbEntry.1", "AbEntry.2")] == [
        "Company",
        "Individual",
    ]

    failed = call(
        crm,
        token,
        "Create",
        {
            "AbEntry.1": {"Data": {"Key": None, "Type": "Company", "CompanyName": "Kept"}},
            "AbEntry.2": {"Data": {"Key": None, "Type": "Individual"}},
            "AbEntry.3": {"Data": {"Key": None, "Type": "Company", "CompanyName": "Never"}},
        },
    )
    assert failed["Code"] == -1 and "LastName" in failed["Msg"][0]
    names = sorted(str(e.get("CompanyName") or e.get("LastName")) for e in crm.entries.values())
    assert names == ["Doe", "Kept", "My Co"]
