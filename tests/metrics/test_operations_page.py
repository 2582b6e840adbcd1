"""docs/operations.md names the metrics the view really serves, and has a runbook per alarm."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from django_octy.models import AlarmKind, PushLog
from tests.docs.samples import ROOT

from .conftest import scrape

PAGE = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
METRIC = re.compile(r"\bdjango_octy_[a-z_]+[a-z]\b")
TABLE_ROW = re.compile(r"^\| `(?P<name>django_octy_[a-z_]+)` \|", re.MULTILINE)

pytestmark = pytest.mark.django_db


def served(staff_client: Client) -> set[str]:
    """The metric names of a scrape with one push logged (push counters need one)."""
    PushLog.objects.create(entity="profile", operation="create", sent=1, succeeded=1, duration=1)
    return {name for name, _ in scrape(staff_client)}


def test_every_metric_the_page_names_is_served(staff_client: Client) -> None:
    named = set(METRIC.findall(PAGE))
    assert named, "the page names no metric"
    assert named <= served(staff_client)


def test_the_page_documents_every_metric_served(staff_client: Client) -> None:
    assert set(TABLE_ROW.findall(PAGE)) == served(staff_client)


@pytest.mark.parametrize("kind", list(AlarmKind))
def test_every_alarm_kind_has_a_runbook(kind: AlarmKind) -> None:
    assert f"### `{kind.value}`: " in PAGE
