"""The operator's surface for the Octopus target: resync, status, pull, the admin, checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from django_octy.checks import check_octopus, check_waiting_entries
from django_octy.models import EntryType, OctopusEntry, Profile, SyncState
from django_octy.octopus import OctopusClient
from django_octy.sync.flush import flush_all
from django_octy.sync.folding import fold_changes
from django_octy.testing import FakeOctopus
from tests.admin.conftest import SECRET, assert_no_secret
from tests.commands.conftest import run
from tests.shop.models import Company, Customer, Person

from .conftest import sent_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wine_shop(crm: FakeOctopus) -> Company:
    company = Company.objects.create(name="ABC Wine Shop")
    for first in ("Ann", "Bob"):
        Person.objects.create(company=company, first_name=first, last_name="Lee")
    return company


def crm_client(crm: FakeOctopus) -> OctopusClient:
    return OctopusClient(
        crm.url, database=crm.database, uid=crm.uid, password=crm.password, allow_insecure=True
    )


def test_resync_pushes_the_entries_again_by_their_target_qualified_name(
    crm: FakeOctopus, wine_shop: Company
) -> None:
    flush_all(["octopus_entry"])
    company = OctopusEntry.objects.get(entry_type=EntryType.COMPANY)
    with crm_client(crm) as client:  # someone edits the company in the CRM
        client.update_entry({"Key": crm.entries[str(company.octy_id)]["Key"], "CompanyName": "X"})
    crm.request_log.clear()

    result = run("octy_resync", "octopus_entry", "--verbosity", "0")

    assert result.code == 0, result.stderr
    assert "Octopus entry" in result.stdout and "Resync complete" in result.stdout
    assert len(sent_data(crm, "Update")) == 3
    assert "Create" not in [e.method for e in crm.request_log]
    assert crm.entries[str(company.octy_id)]["CompanyName"] == "ABC Wine Shop"
    assert len(crm.entries) == 3


def test_status_counts_the_entries_with_their_target(crm: FakeOctopus, wine_shop: Company) -> None:
    crm.reject_entry("FirstName", "Bob", "Bob is not welcome")
    flush_all(["octopus_entry"])

    text = run("octy_status").stdout
    data = json.loads(run("octy_status", "--json").stdout)

    assert "Octopus entry" in text and "Bob is not welcome" in text
    entries = data["entities"]["octopus_entry"]
    assert (entries["synced"], entries["failed"], entries["target"]) == (2, 1, "Octopus")
    assert data["entities"]["profile"]["target"] == "Octy"


def test_pull_imports_the_entries_a_query_matches(crm: FakeOctopus) -> None:
    with crm_client(crm) as client:
        acme = client.create_entry({"Type": "Company", "CompanyName": "Acme Wines"})
        client.create_entry({"Type": "Company", "CompanyName": "Other Trade"})
        for first, email in (("Ann", "ann@acme.example"), ("Cid", "cid@other.example")):
            client.create_entry(
                {
                    "Type": "Contact",
                    "ParentKey": acme["Key"],
                    "FirstName": first,
                    "LastName": "Lee",
                    "Email": email,
                }
            )
    query = {
        "$OR": [
            {"CompanyName": {"$LIKE": "Acme%"}},
            {"$AND": [{"Type": {"$EQ": "Contact"}}, {"Email": {"$LIKE": "%@acme.example"}}]},
        ]
    }

    result = run("octopus_pull", "--query", json.dumps(query))

    assert result.code == 0, result.stderr
    assert "2 fetched, 2 new" in result.stdout and "1 contact(s) linked" in result.stdout
    company = OctopusEntry.objects.get(entry_type=EntryType.COMPANY)
    contact = OctopusEntry.objects.get(entry_type=EntryType.CONTACT)
    assert company.data["CompanyName"] == "Acme Wines" and contact.parent == company
    assert {company.state, contact.state} == {SyncState.SYNCED}
    assert contact.octy_id in crm.entries and company.octy_id in crm.entries

    again = run("octopus_pull", "--query", json.dumps(query))
    assert "0 new, 2 refreshed" in again.stdout
    assert OctopusEntry.objects.count() == 2


def test_crm_contacts_seed_octy_profiles(crm: FakeOctopus) -> None:
    """The docs' example: profiles for the CRM's contacts, pushed to Octy by the flush."""
    with crm_client(crm) as client:
        parent = client.create_entry({"Type": "Individual", "LastName": "Lee"})
        client.create_entry(
            {
                "Type": "Contact",
                "ParentKey": parent["Key"],
                "LastName": "Lee",
                "Email": "ann@example.com",
            }
        )
    call_command("octopus_pull", "--query", '{"Type": {"$EQ": "Contact"}}', stdout=None)

    for entry in OctopusEntry.objects.filter(entry_type=EntryType.CONTACT):
        Profile.objects.get_or_create(customer_id=entry.data["Email"])
    summary = flush_all()

    assert summary.of("profile").created == 1
    assert Profile.objects.get().customer_id == "ann@example.com"


def test_admin_pages_and_the_dashboard_show_both_targets(
    crm: FakeOctopus, wine_shop: Company, superuser_client: Client, customers_as_individuals: Any
) -> None:
    Customer.objects.create(email="ann@example.com", first_name="Ann")
    flush_all()
    entry = OctopusEntry.objects.get(entry_type=EntryType.COMPANY)

    listing = superuser_client.get(reverse("admin:django_octy_octopusentry_changelist"))
    page = superuser_client.get(reverse("admin:django_octy_octopusentry_change", args=[entry.pk]))
    search = superuser_client.get(
        reverse("admin:django_octy_octopusentry_changelist"), {"q": entry.reference}
    )
    dashboard = superuser_client.get(reverse("admin:django_octy_dashboard"))

    assert listing.status_code == page.status_code == 200
    assert "ABC Wine Shop" in listing.content.decode()
    assert "Octopus sync" in page.content.decode() and "Octopus identity" in page.content.decode()
    assert search.context["cl"].result_count == 1
    text = dashboard.content.decode()
    assert '<tbody data-target="octy">' in text and '<tbody data-target="octopus">' in text
    octopus_rows = text.split('<tbody data-target="octopus">', 1)[1].split("</tbody>", 1)[0]
    assert 'data-entity="octopus_entry"' in octopus_rows
    counts = octopus_rows.split('<tr data-entity="octopus_entry">')[1].split("</tr>")[0]
    assert '<td class="octy-number">4</td>' in counts  # 4 synced: company, 2 contacts, 1 customer
    assert "Effective settings (OCTOPUS)" in text
    assert crm.password not in text and SECRET not in text
    for response in (listing, page, dashboard):
        assert_no_secret(response)
        assert crm.password not in response.content.decode()


def test_checks_for_the_octopus_settings(settings: Any) -> None:
    settings.OCTOPUS = {"BASE_URL": "http://crm.example/octopus"}
    assert {m.id for m in check_octopus()} == {"django_octy.E006", "django_octy.E007"}

    settings.OCTOPUS = {
        "BASE_URL": "https://crm.example/octopus",
        "TOKEN": "t",
        "METHOD_STYLE": "old",
        "ENTRIES_PER_REQUEST": 0,
    }
    assert [m.id for m in check_octopus()] == ["django_octy.E008", "django_octy.E011"]

    settings.OCTOPUS = {"BASE_URL": "https://crm.example/octopus", "TOKEN": "t"}
    assert check_octopus() == []


def test_entries_waiting_for_an_unconfigured_crm_are_a_database_warning(settings: Any) -> None:
    settings.OCTOPUS = {}
    assert check_waiting_entries(databases=["default"]) == []

    Customer.objects.create(email="ann@example.com")  # a profile's change: not the CRM's
    assert check_waiting_entries(databases=["default"]) == []

    Company.objects.create(name="Waiting Ltd")  # its change waits in the log

    (warning,) = check_waiting_entries(databases=["default"])
    assert warning.id == "django_octy.W004"
    fold_changes()  # now its entry waits to be pushed
    (warning,) = check_waiting_entries(databases=["default"])
    assert warning.id == "django_octy.W004"
    assert check_waiting_entries() == []  # only when asked for the database


def test_resync_names_the_crm_for_the_crm_s_refusals(crm: FakeOctopus, wine_shop: Company) -> None:
    crm.reject_entry("FirstName", "Bob", "Bob is not welcome")

    result = run("octy_resync", "octopus_entry", "--verbosity", "0")

    assert result.code == 3
    assert "1 objects were refused (1 by Octopus)" in result.stderr
    assert "by Octy" not in result.stderr
