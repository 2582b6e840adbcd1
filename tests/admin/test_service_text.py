"""Text from a service (Octy, the Octopus CRM, a webhook caller) in every admin page it reaches.

Each place gets a ``javascript:`` URL and markup: the page shows them as text, never as a
link or an element. Only ``external_link`` makes links of such text, for http(s) URLs only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_octy.conf import settings as octy_settings
from django_octy.keycheck import CACHE_KEY, KeyCheck
from django_octy.models import (
    EntryType,
    OctopusEntry,
    Profile,
    PushLog,
    SyncAlarm,
    SyncError,
    SyncState,
    WebhookDelivery,
)
from django_octy.sync.folding import fold_changes
from tests.shop.models import Customer

pytestmark = pytest.mark.django_db

LINK = "javascript:alert(document.domain)"
MARKUP = '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(2)><script>alert(3)</script>'
HOSTILE = f"{LINK} {MARKUP}"
SCRIPT_URL = re.compile(r"""(href|src)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def assert_inert(page: str) -> None:
    """The hostile text is on the page, as text only."""
    assert SCRIPT_URL.search(page) is None, "a javascript: URL became a link"
    assert "<script>alert(3)" not in page and "<img src=x" not in page
    assert "javascript:alert(document.domain)" in page, "the text itself is shown"


def failed_profile(**fields: Any) -> Profile:
    profile = Profile.objects.create(customer_id="cust-1")
    Profile.objects.filter(pk=profile.pk).update(
        state=SyncState.FAILED, last_error=HOSTILE, **fields
    )
    return profile


def sync_error() -> SyncError:
    return SyncError.objects.create(
        entity="profile",
        identifier=HOSTILE[:255],
        operation="create",
        reason=HOSTILE,
        messages=[HOSTILE],
        extended_help=LINK,
    )


def webhook_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        body=HOSTILE,
        payload={"event": LINK, "html": MARKUP},
        event=LINK,
        headers={"Referer": LINK},
        status="failed",
        error=HOSTILE,
    )


def octopus_entry() -> OctopusEntry:
    return OctopusEntry.objects.create(
        entry_type=EntryType.COMPANY,
        data={"CompanyName": HOSTILE, "WebSite": LINK},
        remote={"Key": LINK, "Notes": MARKUP},
    )


def change(name: str, row: Any) -> str:
    return reverse(f"admin:django_octy_{name}_change", args=[row.pk])


def changelist(name: str) -> str:
    return reverse(f"admin:django_octy_{name}_changelist")


def dashboard() -> str:
    sync_error()
    SyncAlarm.objects.create(kind="auth", message=HOSTILE)
    check = KeyCheck(False, HOSTILE, timezone.now(), str(octy_settings.BASE_URL))
    cache.set(CACHE_KEY, check)
    return reverse("admin:django_octy_dashboard")


def host_page() -> str:
    customer = Customer.objects.create(email="ada@example.com", first_name="Ada")
    fold_changes()  # its profile row, as the flush maps it
    Profile.objects.update(state=SyncState.FAILED, last_error=HOSTILE)
    return reverse("admin:shop_customer_change", args=[customer.pk])


PLACES: dict[str, Callable[[], str]] = {
    "error log list (reason, help link)": lambda: (sync_error(), changelist("syncerror"))[1],
    "error log entry (identifier, reason, messages, help link)": lambda: change(
        "syncerror", sync_error()
    ),
    "mirror list (last error)": lambda: (failed_profile(), changelist("profile"))[1],
    "mirror row (last error, what Octy returned, computed fields)": lambda: change(
        "profile",
        failed_profile(remote={"help": LINK, "html": MARKUP}, segment_tags=[HOSTILE]),
    ),
    "host object's sync inline (last error)": host_page,
    "dashboard (last errors, last alarm, key check)": dashboard,
    "webhook delivery list (event, error)": lambda: (
        webhook_delivery(),
        changelist("webhookdelivery"),
    )[1],
    "webhook delivery (body, payload, headers)": lambda: change(
        "webhookdelivery", webhook_delivery()
    ),
    "Octopus entry list (name)": lambda: (octopus_entry(), changelist("octopusentry"))[1],
    "Octopus entry (data, what the CRM returned)": lambda: change("octopusentry", octopus_entry()),
    "alarm list (message)": lambda: (
        SyncAlarm.objects.create(kind="auth", message=HOSTILE),
        changelist("syncalarm"),
    )[1],
    "push log (error)": lambda: (
        PushLog.objects.create(
            entity="profile", operation="create", sent=1, failed=1, duration=0.1, error=HOSTILE
        ),
        changelist("pushlog"),
    )[1],
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_service_text_is_shown_as_text_only(superuser_client: Client, place: str) -> None:
    response = superuser_client.get(PLACES[place]())
    assert response.status_code == 200
    assert_inert(response.content.decode())


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://files.example.com/help",
        "//evil.example.com/help",
        "https://octy.ai/docs\n/x",
    ],
)
def test_only_http_urls_become_help_links(superuser_client: Client, url: str) -> None:
    SyncError.objects.create(entity="item", operation="create", extended_help=url)
    page = superuser_client.get(changelist("syncerror")).content.decode()
    assert "Octy&#x27;s help" not in page and 'target="_blank"' not in page
    assert '<td class="field-help_link">' in page, "the column is there, without a link"


@pytest.mark.parametrize("url", ["https://octy.ai/docs/profiles", "HTTP://octy.ai/docs?a=1&b=2"])
def test_http_urls_are_help_links(superuser_client: Client, url: str) -> None:
    SyncError.objects.create(entity="item", operation="create", extended_help=url)
    page = superuser_client.get(changelist("syncerror")).content.decode()
    assert "Octy&#x27;s help</a>" in page
    assert 'rel="noopener noreferrer"' in page
