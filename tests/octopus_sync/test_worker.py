"""A real Celery worker pushes a host's changes to both targets, from ``on_commit`` alone."""

from __future__ import annotations

from typing import Any

import pytest

from django_octy.models import OctopusEntry, Profile, SyncState
from django_octy.testing import FakeOctopus, FakeOcty
from tests.shop.models import Company, Customer, Person
from tests.sync.conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_pushes_customers_to_octy_and_the_crm_and_companies_before_their_people(
    crm: FakeOctopus, octy: FakeOcty, worker: Any, customers_as_individuals: None
) -> None:
    company = Company.objects.create(name="ABC Wine Shop")
    Person.objects.create(company=company, first_name="Ann", last_name="Lee")
    Customer.objects.create(email="bob@example.com", first_name="Bob")

    def everything_synced() -> bool:
        states = set(OctopusEntry.objects.values_list("state", flat=True))
        states |= set(Profile.objects.values_list("state", flat=True))
        return states == {SyncState.SYNCED}

    wait_until(everything_synced, what="both targets to confirm every row")

    assert len(crm.entries) == 3
    by_type = {entry["Type"]: entry for entry in crm.entries.values()}
    assert by_type["Contact"]["ParentKey"] == OctopusEntry.objects.get(entry_type="Company").octy_id
    assert by_type["Individual"]["Email"] == "bob@example.com"
    assert set(octy.state.profiles) == {str(Customer.objects.get().pk)}
