"""The client speaks Octopus as the vendor's own request collection does.

Source of every behaviour here: repository maximizercrm/octopus-api, file
postman/collections/OctopusAPI.json (the "Checked against ..." section of the
project's notes on the Octopus API lists the facts).
"""

from __future__ import annotations

import base64

import pytest

from django_octy.octopus import OctopusClient, decode_key
from django_octy.testing import FakeOctopus

from .conftest import company, contact, login, methods, post


def test_every_abentry_request_carries_the_key_compatibility_block(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    """Every AbEntry create, read, update and delete example of the collection sends
    ``"Compatibility": {"AbEntryKey": "2.0"}``; with it Keys come in their current form."""
    key = client.create_entry(company("ABC"))["Key"]
    client.update_entry({"Key": key, "Phone": "1"})
    list(client.read_entries({"Key": 1}))
    client.delete_entry(key)

    entity_requests = [entry for entry in crm.request_log if entry.method != "Authenticate"]
    assert [entry.method for entry in entity_requests] == ["Create", "Update", "Read", "Delete"]
    assert all(entry.body["Compatibility"] == {"AbEntryKey": "2.0"} for entry in entity_requests)
    assert decode_key(key).type == "Company"  # the current form; legacy Keys say Contact


def test_without_the_block_keys_come_in_the_legacy_form(crm: FakeOctopus) -> None:
    """The collection's legacy read example answers a Company's Key that decodes to
    ``Contact``; with AbEntryKey 2.0 the create example's Key decodes to ``Company``."""
    token = login(crm)
    data = {"Key": None, "Type": "Company", "CompanyName": "ABC"}
    legacy = post(crm, "Create", {"AbEntry": {"Data": data}}, token).json()
    current = post(
        crm, "Create", {"AbEntry": {"Data": data}, "Compatibility": {"AbEntryKey": "2.0"}}, token
    ).json()
    assert decode_key(legacy["AbEntry"]["Data"]["Key"]).type == "Contact"
    assert decode_key(current["AbEntry"]["Data"]["Key"]).type == "Company"


@pytest.mark.parametrize(("count", "reads"), [(5, 3), (4, 3), (3, 2)])
def test_paging_sends_base64_offsets_when_the_answer_names_no_next_page(
    client: OctopusClient, crm: FakeOctopus, count: int, reads: int
) -> None:
    """The collection's page 2 sends ``"PageKey": "MTA="`` (base64 of "10") after a page 1
    with ``"PageKey": null``; the answer's name for the next key is not published."""
    for index in range(count):
        client.create_entry(company(f"C{index}"))
    names = [row["CompanyName"] for row in client.read_entries({"CompanyName": 1}, page_size=2)]

    assert names == [f"C{index}" for index in range(count)]
    sent = [entry.body["AbEntry"]["OrderBy"] for entry in crm.request_log if entry.method == "Read"]
    offsets = [None, *(base64.b64encode(str(n).encode()).decode() for n in (2, 4))]
    assert [order["PageKey"] for order in sent] == offsets[:reads]
    assert {order["PageSize"] for order in sent} == {2}


def test_a_next_page_key_the_answer_names_is_followed() -> None:
    """Where the answer does name the next page (the other reading), that key is sent."""
    with FakeOctopus(password="pw", names_next_page=True) as naming:
        client = OctopusClient(
            naming.url,
            database=naming.database,
            uid=naming.uid,
            password="pw",
            allow_insecure=True,
        )
        for index in range(3):
            client.create_entry(company(f"C{index}"))
        rows = list(client.read_entries({"CompanyName": 1}, page_size=2, top=3))
        client.close()
    assert [row["CompanyName"] for row in rows] == ["C0", "C1", "C2"]
    assert methods(naming).count("Read") == 2


def test_a_401_reauthenticates_once_like_an_invalid_token(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    """The collection's VerifyToken answers an invalid or expired token with HTTP 401."""
    client.create_entry(company("Before"))
    crm.inject("Create", status=401, times=1)
    client.create_entry(company("After"))
    assert methods(crm) == ["Authenticate", "Create", "Create", "Authenticate", "Create"]
    assert sorted(entry["CompanyName"] for entry in crm.entries.values()) == ["After", "Before"]


def test_a_fake_that_refuses_expired_tokens_with_401_is_handled() -> None:
    """The fake's other reading of an expired token on any method: HTTP 401."""
    with FakeOctopus(password="pw", expiry_answer="http") as strict:
        client = OctopusClient(
            strict.url, database=strict.database, uid=strict.uid, password="pw", allow_insecure=True
        )
        client.create_entry(company("Before"))
        strict.expire_tokens()
        client.create_entry(company("After"))
        client.close()
        assert [entry.status for entry in strict.request_log] == [200, 200, 401, 200, 200]
        assert len(strict.entries) == 2


def test_a_create_whose_answer_was_lost_is_looked_up_before_it_is_sent_again(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    """The collection has no idempotent create: a lost answer may hide a created entry."""
    parent = client.create_entry(company("ABC"))["Key"]
    crm.lose_answers("Create")
    data = contact("Doe", parent, Email="doe@abc.example")

    created = client.create_entry(
        data,
        lookup=lambda: next(
            iter(client.read_entries({"Key": 1}, {"Email": {"$EQ": "doe@abc.example"}})), None
        ),
    )

    assert len(crm.entries) == 2  # the company and one contact, not two
    assert methods(crm)[-2:] == ["Create", "Read"]
    assert decode_key(created["Key"]).stable_id in crm.entries
