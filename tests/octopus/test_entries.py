"""AbEntry writes through the client, checked in the fake's store."""

from __future__ import annotations

import pytest

from django_octy.octopus import OctopusBatchError, OctopusClient, OctopusEntryError, decode_key
from django_octy.testing import FakeOctopus

from .conftest import ClientFactory, company, contact


def test_company_then_contacts_with_the_parent_key_resolved(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    abc_key = client.create_entry(company("ABC Wine Shop"))["Key"]
    abc = decode_key(abc_key)
    first = client.create_entry(contact("Doe", abc_key, FirstName="Jane"))
    second = client.create_entry(contact("Roe", abc_key))
    jane, roe = decode_key(first["Key"]), decode_key(second["Key"])
    assert (abc.type, abc.number) == ("Company", 0)
    assert (jane.type, jane.id, jane.number) == ("Contact", abc.id, 1)
    assert (roe.id, roe.number) == (abc.id, 2)
    stored = crm.entries
    assert set(stored) == {abc.stable_id, jane.stable_id, roe.stable_id}
    assert stored[jane.stable_id]["ParentKey"] == abc.stable_id
    assert stored[jane.stable_id]["FirstName"] == "Jane"
    assert stored[abc.stable_id]["CompanyName"] == "ABC Wine Shop"


def test_update_changes_only_the_fields_sent(client: OctopusClient, crm: FakeOctopus) -> None:
    key = client.create_entry(company("ABC", Phone="1", Address={"City": "Lyon", "Country": "FR"}))[
        "Key"
    ]
    client.update_entry({"Key": key, "Phone": "2", "Address": {"City": "Paris"}})
    [stored] = crm.entries.values()
    assert (stored["CompanyName"], stored["Phone"]) == ("ABC", "2")
    assert stored["Address"] == {"City": "Paris", "Country": "FR"}


def test_delete_removes_the_entry(client: OctopusClient, crm: FakeOctopus) -> None:
    keep = client.create_entry(company("Keep"))["Key"]
    gone = client.create_entry(company("Gone"))["Key"]
    client.delete_entry(gone)
    assert list(crm.entries) == [decode_key(keep).stable_id]
    with pytest.raises(OctopusEntryError, match="does not exist"):
        client.delete_entry(gone)


def test_a_company_with_contacts_can_be_deleted(client: OctopusClient, crm: FakeOctopus) -> None:
    """No vendor source refuses it (maximizercrm/octopus-api,
    postman/collections/OctopusAPI.json: the Delete examples name a Key, nothing more)."""
    parent = client.create_entry(company("ABC"))["Key"]
    doe = client.create_entry(contact("Doe", parent))["Key"]
    client.delete_entry(parent)
    assert list(crm.entries) == [decode_key(doe).stable_id]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"Type": "Company"}, "CompanyName is required"),
        ({"Type": "Individual", "FirstName": "Jo"}, "LastName is required"),
        ({"Type": "Contact", "LastName": "Doe"}, "ParentKey is required"),
        ({"Type": "Robot", "LastName": "Doe"}, "Type must be one of"),
        ({"Type": "Company", "CompanyName": "A", "Colour": "red"}, "Colour is not a field"),
    ],
)
def test_entries_missing_what_their_type_needs_are_refused(
    client: OctopusClient, crm: FakeOctopus, data: dict[str, str], message: str
) -> None:
    with pytest.raises(OctopusEntryError) as info:
        client.create_entry(data)
    assert info.value.code == -1
    assert any(message in text for text in info.value.messages)
    assert not info.value.retryable
    assert crm.entries == {}


def test_a_contact_needs_an_existing_company_or_individual(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    parent = client.create_entry(company("ABC"))["Key"]
    doe = client.create_entry(contact("Doe", parent))["Key"]
    with pytest.raises(OctopusEntryError, match="type not supported"):
        client.create_entry(contact("Roe", doe))
    client.delete_entry(doe)
    client.delete_entry(parent)
    with pytest.raises(OctopusEntryError, match="does not exist"):
        client.create_entry(contact("Poe", parent))
    assert crm.entries == {}


def test_type_and_parent_key_cannot_be_updated(client: OctopusClient, crm: FakeOctopus) -> None:
    """maximizercrm/octopus-api, postman/collections/OctopusAPI.json (AbEntry CRUD, Update):
    "ParentKey, Type CANNOT be updated"; the fake refuses them even unchanged."""
    first = client.create_entry(company("First"))["Key"]
    doe = client.create_entry(contact("Doe", first))["Key"]
    with pytest.raises(OctopusEntryError, match="Type cannot be updated"):
        client.update_entry({"Key": first, "Type": "Company"})
    with pytest.raises(OctopusEntryError, match="ParentKey cannot be updated"):
        client.update_entry({"Key": doe, "ParentKey": first, "LastName": "Doe-Smith"})
    client.update_entry({"Key": doe, "LastName": "Doe-Smith"})
    assert crm.entries[decode_key(doe).stable_id]["LastName"] == "Doe-Smith"
    assert crm.entries[decode_key(first).stable_id]["Type"] == "Company"


@pytest.mark.parametrize(
    ("entry_type", "field"),
    [("Company", "FirstName"), ("Company", "LastName"), ("Contact", "CompanyName")],
)
def test_a_type_cannot_update_the_names_it_does_not_have(
    client: OctopusClient, crm: FakeOctopus, entry_type: str, field: str
) -> None:
    """maximizercrm/octopus-api, postman/collections/OctopusAPI.json (AbEntry CRUD, Update):
    CompanyName only on a Company or an Individual, FirstName and LastName only on a Contact
    or an Individual."""
    parent = client.create_entry(company("ABC"))["Key"]
    key = parent if entry_type == "Company" else client.create_entry(contact("Doe", parent))["Key"]
    with pytest.raises(OctopusEntryError, match=f"cannot update {field}"):
        client.update_entry({"Key": key, field: "New"})
    individual = client.create_entry({"Type": "Individual", "LastName": "Roe"})["Key"]
    client.update_entry({"Key": individual, field: "New"})
    assert crm.entries[decode_key(individual).stable_id][field] == "New"


def test_a_refused_entry_fails_alone_with_its_message(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    crm.reject_entry("CompanyName", "Blocked Ltd", "Duplicate company (DONOTUPDATE)")
    created, failed = [], []
    for name in ("Alpha", "Blocked Ltd", "Gamma"):
        try:
            created.append(client.create_entry(company(name))["Key"])
        except OctopusEntryError as error:
            failed.append((name, error.messages))
    assert failed == [("Blocked Ltd", ["Duplicate company (DONOTUPDATE)"])]
    names = sorted(entry["CompanyName"] for entry in crm.entries.values())
    assert names == ["Alpha", "Gamma"]
    assert [entry.code for entry in crm.request_log if entry.method == "Create"] == [0, -1, 0]


def test_object_messages_carry_their_error_codes(crm: FakeOctopus) -> None:
    with FakeOctopus(password="pw", msg_style="object") as objects:
        client = OctopusClient(
            objects.url,
            database=objects.database,
            uid=objects.uid,
            password="pw",
            allow_insecure=True,
        )
        with pytest.raises(OctopusEntryError) as info:
            client.create_entry({"Type": "Company"})
        client.close()
    assert info.value.messages == ["CompanyName is required for a Company."]
    assert len(info.value.error_codes) == 1 and info.value.error_codes[0] < 0


def test_the_older_method_names_work_the_same(make_client: ClientFactory, crm: FakeOctopus) -> None:
    client = make_client(method_style="entity")
    key = client.create_entry(company("ABC"))["Key"]
    client.update_entry({"Key": key, "Phone": "5"})
    assert [row["Phone"] for row in client.read_entries({"Phone": 1})] == ["5"]
    client.delete_entry(key)
    paths = [entry.path for entry in crm.request_log]
    assert paths[1:] == [
        "/octopus/AbEntryCreate",
        "/octopus/AbEntryUpdate",
        "/octopus/AbEntryRead",
        "/octopus/AbEntryDelete",
    ]
    assert crm.entries == {}


def test_write_entries_sends_aliased_payloads_in_one_request(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    """Batch Create, Update and Delete (maximizercrm/octopus-api,
    postman/collections/OctopusAPI.json, "Batch Queries"): ``AbEntry.1``, ``AbEntry.2``...
    in one body, each answered under its alias."""
    created = client.write_entries("Create", [company("One"), company("Two")])
    keys = [entry["Key"] for entry in created]
    client.write_entries("Update", [{"Key": key, "Phone": "555"} for key in keys])
    assert [entry["Phone"] for entry in crm.entries.values()] == ["555", "555"]
    client.write_entries("Delete", [{"Key": keys[0]}, {"Key": keys[1]}])

    assert crm.entries == {}
    writes = [entry for entry in crm.request_log if entry.method != "Authenticate"]
    assert [(entry.method, entry.objects) for entry in writes] == [
        ("Create", 2),
        ("Update", 2),
        ("Delete", 2),
    ]
    assert sorted(writes[0].body) == ["AbEntry.1", "AbEntry.2", "Compatibility"]


@pytest.mark.parametrize("names_written", [False, True], ids=["error", "written"])
def test_write_entries_stopped_at_a_refused_payload_says_what_was_written(
    client: OctopusClient, crm: FakeOctopus, names_written: bool
) -> None:
    """Batch Queries: execution halts at the first error, the payloads before it stay
    committed; whether a failed write answers their Data is not shown, so both readings."""
    crm.failure_names_written = names_written
    crm.reject_entry("CompanyName", "Bad", "CompanyName is not allowed")

    with pytest.raises(OctopusBatchError) as raised:
        client.write_entries("Create", [company("One"), company("Bad"), company("Three")])

    assert raised.value.messages == ["CompanyName is not allowed"]
    told = [entry["CompanyName"] for entry in raised.value.written]
    assert told == (["One"] if names_written else [])
    assert [entry["CompanyName"] for entry in crm.entries.values()] == ["One"]
    assert [entry.method for entry in crm.request_log].count("Create") == 1  # not repeated


def test_write_entries_checks_the_keys_before_sending(client: OctopusClient) -> None:
    with pytest.raises(ValueError, match="without a Key"):
        client.write_entries("Create", [{"Key": "abc", "Type": "Company"}])
    with pytest.raises(ValueError, match="needs every entry's Key"):
        client.write_entries("Update", [{"Phone": "1"}])
