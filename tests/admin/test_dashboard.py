"""The dashboard: counts, queue age, the last day, alarms, keys, settings; no network, no secret."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_octy import flush_all
from django_octy.keycheck import check_keys
from django_octy.models import (
    AlarmKind,
    HostChange,
    Item,
    Profile,
    PushLog,
    SyncError,
    SyncState,
)
from django_octy.sync.alarms import raise_alarm
from django_octy.sync.folding import fold_changes
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

from .conftest import SECRET, assert_no_secret, staff_with

pytestmark = pytest.mark.django_db

DASHBOARD = "admin:django_octy_dashboard"


@pytest.fixture
def activity() -> None:
    Profile.objects.bulk_create(
        [Profile(customer_id=f"s{n}", state=SyncState.SYNCED) for n in range(4)]
        + [Profile(customer_id="f1", state=SyncState.FAILED)]
        + [Profile(customer_id=f"p{n}") for n in range(2)]
    )
    Profile.objects.filter(state=SyncState.PENDING).update(
        updated_at=timezone.now() - timedelta(hours=2)
    )
    Item.objects.create(item_id="tent", item_category="camp", item_name="Tent")
    PushLog.objects.create(
        entity="profile", operation="create", sent=5, succeeded=4, failed=1, duration=1
    )
    old = PushLog.objects.create(entity="profile", operation="create", sent=9, duration=1)
    PushLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    SyncError.objects.create(entity="profile", identifier="f1", operation="create")


def cells(page: str, entity: str) -> list[str]:
    """The texts of an entity's count cells, links and all."""
    row = page.split(f'<tr data-entity="{entity}">', 1)[1].split("</tr>", 1)[0]
    cells = row.split('<td class="octy-number">')[1:]
    return [re.sub(r"<[^>]+>", "", cell.split("</td>", 1)[0]) for cell in cells]


def test_counts_per_entity_and_state(superuser_client: Client, activity: None) -> None:
    page = superuser_client.get(reverse(DASHBOARD)).content.decode()

    # Pending, Synced, Failed, Delete pending, Deleted, Total
    assert cells(page, "profile") == ["2", "4", "1", "0", "0", "7"]
    assert cells(page, "item") == ["1", "0", "0", "0", "0", "1"]
    assert "2\xa0hours ago" in page


def test_last_day_of_pushes_and_errors(superuser_client: Client, activity: None) -> None:
    response = superuser_client.get(reverse(DASHBOARD))
    activity_now = response.context["status"].activity["octy"]
    assert (activity_now.requests, activity_now.sent, activity_now.succeeded) == (1, 5, 4)
    assert (activity_now.failed, activity_now.errors) == (1, 1)


def test_each_target_has_its_own_figures(
    superuser_client: Client, activity: None, settings: Any
) -> None:
    PushLog.objects.create(entity="octopus_entry", operation="create", sent=3, duration=1)
    page = superuser_client.get(reverse(DASHBOARD)).content.decode()
    assert 'data-target="octopus"' not in page, "not configured: not shown"
    assert 'data-target="octy"' in page

    settings.OCTOPUS = {"BASE_URL": "https://crm.example", "TOKEN": "t"}
    page = superuser_client.get(reverse(DASHBOARD)).content.decode()

    table = page.split('id="octy-activity"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="col">Octy</th><th scope="col">Octopus</th>' in table
    sent = table.split("Objects sent</th>", 1)[1].split("</tr>", 1)[0]
    assert sent == '<td class="octy-number">5</td><td class="octy-number">3</td>'


def test_changes_waiting_to_be_mapped_until_a_flush_maps_them(
    superuser_client: Client, activity: None
) -> None:
    def waiting() -> str:
        page = superuser_client.get(reverse(DASHBOARD)).content.decode()
        line = page.split('<p id="octy-changes-waiting">', 1)[1].split("</p>", 1)[0]
        return re.sub(r"<[^>]+>", "", line)

    assert waiting() == "0 changes waiting to be mapped."
    Customer.objects.create(email="new@example.com")
    HostChange.objects.update(recorded_at=timezone.now() - timedelta(hours=3))

    assert waiting() == "1 change waiting to be mapped, the oldest 3\xa0hours ago."
    page = superuser_client.get(reverse(DASHBOARD)).content.decode()
    assert cells(page, "profile") == ["2", "4", "1", "0", "0", "7"], "not mapped yet"
    queue = page.split('id="octy-queue"', 1)[1].split("</p>", 1)[0]
    assert "3\xa0hours" in queue, "the oldest change, mapped or not"

    fold_changes()
    assert waiting() == "0 changes waiting to be mapped."
    assert cells(superuser_client.get(reverse(DASHBOARD)).content.decode(), "profile")[0] == "3"


def test_last_alarm(superuser_client: Client) -> None:
    raise_alarm(AlarmKind.AUTH, "Octy refused the keys (HTTP 401)")
    page = superuser_client.get(reverse(DASHBOARD)).content.decode()
    assert "Octy refused the keys (HTTP 401)" in page
    assert '<span class="octy-state octy-state-failed">Open</span>' in page


def test_keys_come_from_the_last_check_never_from_a_request(
    superuser_client: Client, octy_settings: FakeOcty
) -> None:
    check_keys()
    octy_settings.request_log.clear()

    page = superuser_client.get(reverse(DASHBOARD)).content.decode()

    assert "Octy accepted the keys." in page
    assert '<span class="octy-state octy-state-synced">Valid</span>' in page
    assert octy_settings.request_log == []


def test_refused_keys_are_shown(
    superuser_client: Client, octy_settings: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "SECRET_KEY": "sk_wrong"}
    check_keys()
    page = superuser_client.get(reverse(DASHBOARD)).content.decode()
    assert '<span class="octy-state octy-state-failed">Refused</span>' in page
    assert "sk_wrong" not in page


def test_without_a_check_one_is_scheduled_once(
    superuser_client: Client, published: list[dict[str, Any]]
) -> None:
    page = superuser_client.get(reverse(DASHBOARD)).content.decode()
    superuser_client.get(reverse(DASHBOARD))

    assert "A check has been scheduled" in page
    assert [task["task"] for task in published] == ["django_octy.operator_tasks.check_keys"]


def test_effective_settings_with_the_secret_masked(superuser_client: Client) -> None:
    response = superuser_client.get(reverse(DASHBOARD))
    page = response.content.decode()
    assert "<code>BATCH_SIZE</code>" in page and "<code>pk_test</code>" in page
    assert "<code>********</code>" in page
    assert SECRET not in page
    assert_no_secret(response)


def test_needs_the_push_log_view_permission() -> None:
    assert staff_with("view_profile").get(reverse(DASHBOARD)).status_code == 403
    assert staff_with("view_pushlog").get(reverse(DASHBOARD)).status_code == 200


def test_a_failed_count_links_to_the_failed_rows(superuser_client: Client, activity: None) -> None:
    page = superuser_client.get(reverse(DASHBOARD)).content.decode()

    failed = reverse("admin:django_octy_profile_changelist") + "?state__exact=failed"
    assert f'<a href="{failed}" class="octy-alert"' in page
    assert page.count('class="octy-alert"') == 1  # the items have no failed row


def test_a_push_that_goes_through_shows_the_keys_valid_just_now(
    superuser_client: Client, octy_settings: FakeOcty, published: list[dict[str, Any]]
) -> None:
    Profile.objects.create(customer_id="c1")
    flush_all()

    page = superuser_client.get(reverse(DASHBOARD)).content.decode()

    assert '<span class="octy-state octy-state-synced">Valid</span>' in page
    assert "Octy accepted the keys on the last push." in page
    assert "Checked just now." in page
    assert "0\xa0minutes" not in page
    assert published == []  # no key check needed


def test_a_push_refused_for_the_keys_shows_them_refused(
    superuser_client: Client, octy_settings: FakeOcty, settings: Any
) -> None:
    check_keys()
    settings.OCTY = {**settings.OCTY, "SECRET_KEY": "sk_wrong"}
    Profile.objects.create(customer_id="c1")
    flush_all()

    page = superuser_client.get(reverse(DASHBOARD)).content.decode()

    assert '<span class="octy-state octy-state-failed">Refused</span>' in page
    assert "Octy refused the keys on the last push" in page
    assert "sk_wrong" not in page


def test_times_under_a_minute_read_just_now(superuser_client: Client) -> None:
    raise_alarm(AlarmKind.AUTH, "Octy refused the keys (HTTP 401)")
    Profile.objects.create(customer_id="p1")

    page = superuser_client.get(reverse(DASHBOARD)).content.decode()

    assert "last just now." in page
    assert "under a minute" in page  # the pending queue's age
    assert "0\xa0minutes" not in page


def test_dashboard_shows_each_log_tables_size_and_retention(
    superuser_client: Client, activity: None, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "WEBHOOK_RETENTION_DAYS": None}
    response = superuser_client.get(reverse(DASHBOARD))
    sizes = {size.label: size for size in response.context["table_sizes"]}

    assert sorted(sizes) == ["Events (synced)", "Push log", "Sync errors", "Webhook deliveries"]
    assert (sizes["Push log"].rows, sizes["Push log"].retention_days) == (2, 30)
    assert sizes["Sync errors"].rows == SyncError.objects.count()
    assert sizes["Webhook deliveries"].retention_days is None
    page = response.content.decode()
    assert '<th scope="row">Push log</th><td class="octy-number">2</td>' in page
    assert "<td>30 days</td>" in page and "<td>ever</td>" in page
