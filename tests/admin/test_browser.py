"""The dashboard and the change lists in headless Chromium, as an operator sees them.

Uses Debian's ``chromium`` (never a browser downloaded by Playwright), at a
1280x800 window, and saves screenshots under ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, Page, sync_playwright

from django_octy.models import (
    AlarmKind,
    EntryType,
    Erasure,
    Event,
    EventType,
    Item,
    MessageTemplate,
    OctopusEntry,
    Profile,
    PushLog,
    Segment,
    SyncAlarm,
    SyncError,
    SyncState,
    WebhookDelivery,
)
from django_octy.sync.alarms import raise_alarm

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SECRET = "sk_test_never_shown"

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    # Playwright's sync API keeps an event loop running in this thread, which makes Django
    # refuse database calls here; they are still synchronous, as Playwright documents.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    User.objects.create_superuser("boss", "boss@example.com", "a-long-password")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "a-long-password")
    page.click("input[type=submit]")
    page.wait_for_selector("#content-main")
    yield page
    context.close()


@pytest.fixture
def rows() -> None:
    Profile.objects.bulk_create(
        [Profile(customer_id=f"s{n}", state=SyncState.SYNCED, octy_id=f"p{n}") for n in range(3)]
        + [Profile(customer_id="f1", state=SyncState.FAILED, last_error="age must be an integer")]
        + [Profile(customer_id="p1")]
    )
    PushLog.objects.create(
        entity="profile", operation="create", sent=4, succeeded=3, failed=1, duration=1
    )
    raise_alarm(AlarmKind.AUTH, "Octy refused the keys (HTTP 401)")


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_dashboard_renders_the_counts(page: Page, live_server: Any, rows: None) -> None:
    page.goto(f"{live_server.url}/admin/django_octy/")
    page.click("text=Sync dashboard")
    page.wait_for_selector("#octy-counts")

    counts = page.locator('tr[data-entity="profile"] td.octy-number').all_inner_texts()
    assert counts == ["1", "3", "1", "0", "0", "5"]
    assert "Octy refused the keys (HTTP 401)" in page.inner_text("#octy-alarm")
    assert page.locator("#octy-activity td").all_inner_texts()[:3] == ["1", "0", "4"]
    synced = page.locator("#octy-counts th span.octy-state-synced")
    assert synced.evaluate("e => getComputedStyle(e).backgroundColor") not in (
        "",
        "rgba(0, 0, 0, 0)",
    )
    assert SECRET not in page.content()
    screenshot(page, "dashboard.png")

    page.emulate_media(color_scheme="dark")
    page.evaluate(
        "localStorage.setItem('theme', 'dark'); document.documentElement.dataset.theme = 'dark'"
    )
    page.reload()
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert body != "rgb(255, 255, 255)"
    screenshot(page, "dashboard-dark.png")


def test_changelist_shows_rows_with_their_state(page: Page, live_server: Any, rows: None) -> None:
    page.goto(f"{live_server.url}/admin/django_octy/profile/?state__exact=failed")

    assert page.locator("#result_list tbody tr").count() == 1
    assert "f1" in page.inner_text("#result_list")
    assert page.inner_text("#result_list .octy-state") == "Failed"
    assert "1 profile" in page.inner_text(".paginator")
    assert SECRET not in page.content()
    screenshot(page, "profile-changelist.png")


LONG_ERROR = (
    "Octy refused the profile: profile_data.age must be an integer between 0 and 150, "
    "got 'thirty-two'; platform_info.os must be one of android, ios, linux, macos, windows"
)
OCTY_ID = "profile_" + "3f2a9c" * 6
CHANGELISTS = (
    "profile",
    "item",
    "event",
    "eventtype",
    "segment",
    "messagetemplate",
    "octopusentry",
    "syncerror",
    "pushlog",
    "syncalarm",
    "webhookdelivery",
    "erasure",
)


@pytest.fixture
def long_rows() -> None:
    """A row of every model, each as long as production data makes it."""
    failed = {"state": SyncState.FAILED, "attempts": 12, "last_error": LONG_ERROR}
    synced = {"state": SyncState.SYNCED, "last_synced_at": timezone.now()}
    profile = Profile.objects.create(
        customer_id="c7a1e2f0-5b9d-4c3e-8f6a-2d1b0e9c8a7f",
        has_charged=True,
        churn_probability="medium",
        rfm_score=444,
        octy_id=OCTY_ID,
        **synced,
    )
    Profile.objects.create(customer_id="customer-000000123456", **failed)
    Item.objects.create(
        item_id="sku-00000000000000012345",
        item_name="Extra-large waterproof four-season expedition tent with vestibule",
        item_category="Outdoor equipment and camping",
        item_price=1_234_500,
        octy_id="item_" + "9b8c7d" * 6,
        **failed,
    )
    Event.objects.create(
        event_type="add_to_wishlist_from_recommendation",
        profile=profile,
        octy_id="event_" + "1a2b3c" * 6,
        **failed,
    )
    EventType.objects.create(
        event_type="add_to_wishlist_from_recommendation",
        event_properties=["item_id", "recommendation_id"],
        octy_id="event_type_" + "4d5e6f" * 6,
        **failed,
    )
    Segment.objects.create(
        segment_name="customers who browsed outdoor gear but never bought",
        segment_type="past",
        octy_id="segment_" + "7a8b9c" * 6,
        **failed,
    )
    MessageTemplate.objects.create(
        friendly_name="Website banner for customers likely to churn this month",
        template_type="website",
        content="Hello {first_name}",
        status="active",
        octy_id="template_" + "0f1e2d" * 6,
        **failed,
    )
    company = OctopusEntry.objects.create(
        entry_type=EntryType.COMPANY,
        reference="company-000000000000000000042",
        data={"CompanyName": "Northern Lights Outdoor Equipment Wholesale Ltd."},
        octy_id="Q29tcGFueQkyMzA4MTUyNTU2MjU1NTUzMjMwMDA0Ng==",
        **synced,
    )
    OctopusEntry.objects.create(
        entry_type=EntryType.CONTACT,
        reference="customer-000000000000000000042",
        parent=company,
        data={"FirstName": "Maximiliane", "LastName": "Oberhausen-Winterfeld"},
        **failed,
    )
    SyncError.objects.create(
        entity="profile",
        identifier="c7a1e2f0-5b9d-4c3e-8f6a-2d1b0e9c8a7f",
        row_id=profile.pk,
        operation="update",
        http_status=400,
        reason=LONG_ERROR,
        messages=[LONG_ERROR, "profile_data.age: expected an integer"],
        extended_help="https://octy.ai/docs/errors/invalid-profile-data",
    )
    PushLog.objects.create(
        entity="event",
        operation="create",
        sent=500,
        succeeded=0,
        error_status=503,
        error="Octy answered 503 Service Unavailable: " + LONG_ERROR,
        duration=30.0,
    )
    SyncAlarm.objects.create(kind=AlarmKind.AUTH, message="Octy refused the keys: " + LONG_ERROR)
    Erasure.objects.create(
        subject="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        profile_row=profile.pk,
        octy_confirmed_at=timezone.now(),
        octopus_row=company.pk,
    )
    WebhookDelivery.objects.create(
        body="{}",
        event="profile.merged",
        remote_addr="2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        error=LONG_ERROR,
    )


@pytest.mark.parametrize("model_name", CHANGELISTS)
def test_no_change_list_overflows_at_1280_pixels(
    page: Page, live_server: Any, long_rows: None, model_name: str
) -> None:
    page.goto(f"{live_server.url}/admin/django_octy/{model_name}/")
    page.wait_for_selector("#result_list tbody tr")

    widths = page.eval_on_selector(
        "#changelist .results", "e => ({scroll: e.scrollWidth, client: e.clientWidth})"
    )
    screenshot(page, f"changelist-{model_name}.png")
    assert widths["scroll"] <= widths["client"], widths
    assert SECRET not in page.content()


def test_dashboard_is_one_click_from_the_admin_home(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/admin/")
    page.click("#content-main >> text=Sync dashboard")
    page.wait_for_selector("#octy-counts")

    assert page.url == f"{live_server.url}/admin/django_octy/syncdashboard/"
    current = page.locator("#nav-sidebar .current-model").all_inner_texts()
    assert [text.split()[0] for text in current] == ["Sync"]
    screenshot(page, "dashboard-sidebar.png")


def test_a_failed_count_stands_out_and_opens_the_failed_rows(
    page: Page, live_server: Any, rows: None
) -> None:
    page.goto(f"{live_server.url}/admin/django_octy/syncdashboard/")
    failed = page.locator('tr[data-entity="profile"] a.octy-alert')
    assert failed.inner_text() == "1"
    assert failed.evaluate("e => getComputedStyle(e).backgroundColor") not in (
        "",
        "rgba(0, 0, 0, 0)",
    )
    assert page.locator('tr[data-entity="item"] a.octy-alert').count() == 0

    failed.click()
    page.wait_for_selector("#result_list")
    assert page.url.endswith("/admin/django_octy/profile/?state__exact=failed")
    assert page.locator("#result_list tbody tr").count() == 1


def test_an_error_page_lists_its_messages_clear_of_the_history_button(
    page: Page, live_server: Any, long_rows: None
) -> None:
    error = SyncError.objects.get()
    page.goto(f"{live_server.url}/admin/django_octy/syncerror/{error.pk}/change/")

    messages = page.locator(".field-message_list li").all_inner_texts()
    assert messages == [LONG_ERROR, "profile_data.age: expected an integer"]
    title = page.locator("#content > h2").bounding_box()
    history = page.locator(".object-tools").bounding_box()
    assert title is not None and history is not None
    overlaps = title["x"] + title["width"] > history["x"] and (
        title["y"] < history["y"] + history["height"]
        and history["y"] < title["y"] + title["height"]
    )
    assert not overlaps, (title, history)
    screenshot(page, "syncerror-change.png")


def test_a_javascript_help_link_from_octy_is_not_clickable(page: Page, live_server: Any) -> None:
    hostile = "javascript:window.octyPwned=1;alert(document.domain)"
    SyncError.objects.create(
        entity="profile", identifier="c1", operation="create", extended_help=hostile
    )
    SyncError.objects.create(
        entity="profile", identifier="c2", operation="create", extended_help="https://octy.ai/docs"
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/admin/django_octy/syncerror/")
    cells = page.locator("#result_list td.field-help_link")
    assert cells.count() == 2

    hostile_cell = page.locator("#result_list tr", has_text="c1").locator("td.field-help_link")
    hostile_cell.click()
    assert hostile_cell.locator("a").count() == 0, "no link is made of it"
    assert "javascript:" in hostile_cell.inner_text(), "shown as text"
    page.wait_for_timeout(200)  # a javascript: URL would run at once; give it the chance
    assert dialogs == [] and page.evaluate("window.octyPwned") is None
    assert page.url.endswith("/admin/django_octy/syncerror/")
    help_link = cells.locator("a")
    assert help_link.count() == 1 and help_link.get_attribute("href") == "https://octy.ai/docs"
    screenshot(page, "syncerror-changelist.png")
