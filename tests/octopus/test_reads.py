"""AbEntry reads: Scope fields, SearchQuery operators in both forms, Top, order and paging."""

from __future__ import annotations

from typing import Any

import pytest

from django_octy.octopus import OctopusClient, OctopusError, decode_key
from django_octy.testing import FakeOctopus

from .conftest import company, contact, methods

PEOPLE = [
    ("Adams", "Lyon", 3),
    ("Baker", "Paris", 1),
    ("Abbott", "Paris", 2),
    ("Carter", "Nice", 5),
    ("Allen", None, 4),
]


@pytest.fixture
def people(client: OctopusClient) -> str:
    """A company and five contacts; returns the company's Key."""
    parent: str = client.create_entry(company("ABC"))["Key"]
    for last_name, city, rank in PEOPLE:
        address = {"City": city} if city else {}
        client.create_entry(
            contact(last_name, parent, Address=address, **{"Udf/$NAME(Rank)": rank})
        )
    return parent


def last_names(client: OctopusClient, query: dict[str, Any] | None, **options: Any) -> list[str]:
    return [row["LastName"] for row in client.read_entries({"LastName": 1}, query, **options)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"$LIKE": {"LastName": "a%"}}, ["Adams", "Abbott", "Allen"]),
        ({"LastName": {"$LIKE": "_a%"}}, ["Baker", "Carter"]),
        ({"LastName": {"$NLIKE": "A%"}, "Type": {"$EQ": "Contact"}}, ["Baker", "Carter"]),
        ({"$EQ": {"LastName": "baker"}}, ["Baker"]),
        (
            {"LastName": {"$NE": "Baker"}, "Type": {"$EQ": "Contact"}},
            ["Adams", "Abbott", "Carter", "Allen"],
        ),
        (
            {"$AND": [{"$LIKE": {"LastName": "A%"}}, {"Address": {"City": {"$EQ": "Paris"}}}]},
            ["Abbott"],
        ),
        (
            {"$OR": [{"$EQ": {"LastName": "Carter"}}, {"$EQ": {"Address": {"City": "Lyon"}}}]},
            ["Adams", "Carter"],
        ),
        ({"LastName": {"$IN": ["Allen", "Baker", "Nobody"]}}, ["Baker", "Allen"]),
        ({"$NIN": {"Type": ["Company"]}, "LastName": {"$GT": "B"}}, ["Baker", "Carter"]),
        ({"Udf/$NAME(Rank)": {"$GE": 4}}, ["Carter", "Allen"]),
        ({"Udf/$NAME(Rank)": {"$LT": 2}}, ["Baker"]),
        ({"Udf/$NAME(Rank)": {"$LE": 2}}, ["Baker", "Abbott"]),
        ({"$RANGE": {"Udf/$NAME(Rank)": [2, 4]}}, ["Adams", "Abbott", "Allen"]),
    ],
)
def test_search_query_operators(
    client: OctopusClient, people: str, query: dict[str, Any], expected: list[str]
) -> None:
    assert last_names(client, query) == expected


def test_scope_fields_choose_what_comes_back(
    client: OctopusClient, crm: FakeOctopus, people: str
) -> None:
    rows = list(
        client.read_entries(
            {"Key": 1, "ParentKey": 1, "Address": {"City": 1}},
            {"LastName": {"$EQ": "Adams"}},
        )
    )
    [row] = rows
    assert set(row) == {"Key", "ParentKey", "Address"}
    assert row["Address"] == {"City": "Lyon"}
    assert decode_key(row["ParentKey"]) == decode_key(people)
    assert crm.entries[decode_key(row["Key"]).stable_id]["LastName"] == "Adams"


def test_a_key_finds_its_entry(client: OctopusClient, people: str) -> None:
    assert [
        row["CompanyName"]
        for row in client.read_entries({"CompanyName": 1}, {"Key": {"$EQ": people}})
    ] == ["ABC"]
    assert len(last_names(client, {"ParentKey": {"$EQ": people}})) == len(PEOPLE)


def test_top_and_order(client: OctopusClient, people: str) -> None:
    contacts = {"Type": {"$EQ": "Contact"}}
    assert last_names(client, contacts, order_by=[{"LastName": "DESC"}], top=2) == [
        "Carter",
        "Baker",
    ]
    assert last_names(client, contacts, order_by=[{"LastName": "ASC"}]) == sorted(
        name for name, _, _ in PEOPLE
    )


def test_pages_are_fetched_lazily_until_the_last(
    client: OctopusClient, crm: FakeOctopus, people: str
) -> None:
    reads_before = methods(crm).count("Read")
    rows = client.read_entries(
        {"LastName": 1}, {"Type": {"$EQ": "Contact"}}, order_by=[{"LastName": "ASC"}], page_size=2
    )
    first = next(rows)
    assert methods(crm).count("Read") == reads_before + 1
    rest = [row["LastName"] for row in rows]
    assert [first["LastName"], *rest] == sorted(name for name, _, _ in PEOPLE)
    assert methods(crm).count("Read") == reads_before + 3


def test_paging_with_top_stops_at_top(client: OctopusClient, people: str) -> None:
    assert len(last_names(client, {"Type": {"$EQ": "Contact"}}, top=3, page_size=2)) == 3


@pytest.mark.parametrize(
    ("fields", "query", "message"),
    [
        ({"Colour": 1}, None, "Colour is not a field"),
        ({"LastName": 1}, {"LastName": {"$SOUNDS": "x"}}, "Unknown operator"),
        ({"LastName": 1}, {"$AND": {"LastName": "x"}}, "non-empty array"),
        ({"LastName": 1}, {"Address": {"Planet": {"$EQ": "x"}}}, "not a field"),
    ],
)
def test_malformed_reads_are_refused(
    client: OctopusClient, people: str, fields: dict[str, Any], query: Any, message: str
) -> None:
    with pytest.raises(OctopusError) as info:
        list(client.read_entries(fields, query))
    assert info.value.code == -1
    assert any(message in text for text in info.value.messages)
