"""The dashboard and a changelist in headless Chromium, as an operator sees them.

Uses Debian's ``chromium`` (never a browser downloaded by Playwright) and saves
screenshots under ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, sync_playwright

from django_octy.models import AlarmKind, Profile, PushLog, SyncError, SyncState
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
    context = browser.new_context(viewport={"width": 1280, "height": 900})
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
