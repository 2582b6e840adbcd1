"""The pull task (through a real Celery worker), its beat entry, and ``octy_pull``."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_octy import tasks
from django_octy.models import Profile
from django_octy.schedule import BEAT_SCHEDULE
from django_octy.testing import FakeOcty
from tests.sync.conftest import wait_until


def churn_of(customer: Any) -> str:
    return Profile.objects.get(customer_id=str(customer.pk)).churn_probability


def test_the_beat_schedule_pulls_profile_insights() -> None:
    entry = BEAT_SCHEDULE["django-octy-pull-insights"]
    assert (entry["task"], entry["args"]) == ("django_octy.tasks.pull", ("profile",))
    assert tasks.pull.name == "django_octy.tasks.pull"


@pytest.mark.integration
def test_the_pull_task_runs_in_a_worker_for_selected_rows(
    octy: FakeOcty, shop: dict[str, Any], worker: Any
) -> None:
    ann, bob, _ = shop["customers"]
    for customer in (ann, bob):
        octy.set_profile_insights(str(customer.pk), churn_probability="high")
    ann_row = Profile.objects.get(customer_id=str(ann.pk))

    tasks.pull.delay("profile", [ann_row.pk])

    wait_until(lambda: churn_of(ann) == "high", what="the pulled churn probability")
    assert churn_of(bob) == ""


@pytest.mark.django_db
def test_octy_pull_reports_what_it_did(octy: FakeOcty, shop: dict[str, Any]) -> None:
    octy.set_profile_insights(str(shop["customers"][0].pk), churn_probability="low")
    out = StringIO()
    call_command("octy_pull", "profile", "item", stdout=out)
    assert out.getvalue().splitlines() == [
        "profile: 3 fetched, 0 new, 3 refreshed, 0 with local changes kept, 0 merge(s) recorded, "
        "0 deleted in Octy queued again",
        "item: 3 fetched, 0 new, 3 refreshed, 0 with local changes kept",
    ]
    assert churn_of(shop["customers"][0]) == "low"


@pytest.mark.django_db
def test_octy_pull_names_octys_refusal(octy: FakeOcty, db: None) -> None:
    octy.inject("/v1/retention/segments", status=403)
    with pytest.raises(CommandError, match=r"Pulling segment failed: .*403"):
        call_command("octy_pull", "segment", stdout=StringIO())
    assert "sk_" not in str(octy.request_log)
