"""The security suite (issue #7, scenario 5): where each promise is tested.

- No secret in any log record, exception, error row, admin page, API answer
  or command output of the whole run: ``tests/secrets_watch.py`` (the
  ``secret_audit`` item, run after every selected test). Closer checks:
  ``tests/client/test_secrets.py`` (every client error and log record),
  ``tests/admin/test_pages.py`` and ``tests/admin/test_dashboard.py`` (pages,
  masked settings), ``tests/commands/test_status.py`` (command output).
- The webhook refuses a missing or wrong secret, and everyone when none is
  configured: ``tests/api/test_webhook.py``; a wrong ``token`` in the URL: here.
- Throttling of event capture per visitor: ``tests/api/test_events.py``
  (``test_each_visitor_is_throttled_on_their_own``); of the reads: here.
- Authentication and permissions are the project's DRF defaults: here.
- Admin actions need the change permission (push now, re-queue, pull):
  ``tests/admin/test_actions.py::test_actions_need_the_change_permission``;
  pages need the view permission: ``tests/admin/test_pages.py``.
- The client refuses a plain-HTTP base URL unless ``allow_insecure``:
  ``tests/client/test_construction.py``; the flush, configured so: here.

Issue #15 (the front end, the webhook, the admin, retention, erasure):

- ``events/`` as an attacker: a cookieless flood, forged ``X-Forwarded-For``, trusted
  proxies, the allow-list of event types (``charged`` never), CSRF for anonymous and
  logged-in visitors: ``tests/api/test_frontend_abuse.py``; the flood and a forged
  purchase end to end, to the fake Octy: here.
- ``webhook/``: hypothesis-driven bytes and headers (run it on PostgreSQL too), NUL in
  JSON, deep nesting, repeats within the window, 413 over the size limit:
  ``tests/api/test_webhook.py``; a NUL body end to end: here.
- Admin output: a test per page where a service's text is shown, and the help link's
  schemes: ``tests/admin/test_service_text.py``; a ``javascript:`` help link is not
  clickable in Chromium: ``tests/admin/test_browser.py``.
- Mirror rows read-only, actions kept, a profile's status in Octy:
  ``tests/admin/test_read_only_mirrors.py``.
- Retention, ``octy_prune``, batches, the beat entry: ``tests/commands/test_prune.py``;
  table sizes on the dashboard: ``tests/admin/test_dashboard.py``.
- Erasure on a confirmed delete and ``django_octy.erase()`` over both targets:
  ``tests/octopus_sync/test_erasure.py``; erased data never leaves again: here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from django_octy import erase, track
from django_octy.models import (
    AlarmKind,
    Event,
    EventType,
    Profile,
    SyncAlarm,
    SyncState,
    WebhookDelivery,
)
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOcty

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

WEBHOOK = "/octy/webhook/"
READS = ("/octy/recommendations/", "/octy/content/?sections=website")


@pytest.fixture
def octy(octy_settings: FakeOcty, settings: Any) -> FakeOcty:
    settings.OCTY = {**settings.OCTY, "MAX_RETRIES": 0, "WEBHOOK_SECRET": "whsec_for_security"}
    cache.clear()
    return octy_settings


def test_a_wrong_token_in_the_webhook_url_is_refused(octy: FakeOcty) -> None:
    api = APIClient()
    assert api.post(f"{WEBHOOK}?token=whsec_guess", {"type": "x"}, format="json").status_code == 403
    assert api.post(f"{WEBHOOK}?token=", {"type": "x"}, format="json").status_code == 401
    assert not WebhookDelivery.objects.exists()
    right = api.post(f"{WEBHOOK}?token=whsec_for_security", {"type": "x"}, format="json")
    assert right.status_code == 200 and WebhookDelivery.objects.count() == 1


def test_reads_are_throttled_per_visitor(octy: FakeOcty, settings: Any) -> None:
    settings.REST_FRAMEWORK = {"DEFAULT_THROTTLE_RATES": {"octy_reads": "3/min"}}
    visitor = APIClient()
    statuses = [visitor.get(url).status_code for url in (*READS, *READS, READS[0])]
    # The first read, made before the visitor had a session, counts against their address.
    assert statuses == [200, 200, 200, 200, 429]
    refused = visitor.get(READS[0])
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert APIClient().get(READS[0]).status_code == 200, "another visitor has their own budget"


def test_reads_are_not_throttled_below_the_default_rate(octy: FakeOcty) -> None:
    visitor = APIClient()
    assert {visitor.get(READS[0]).status_code for _ in range(20)} == {200}


LOCKED_API = """
import json, django
django.setup()
from django.test import Client
client = Client()
answers = {
    "events": client.post("/octy/events/", {"event_type": "x"}, "application/json").status_code,
    "recommendations": client.get("/octy/recommendations/").status_code,
    "content": client.get("/octy/content/?sections=website").status_code,
    "webhook": client.post("/octy/webhook/", {}, "application/json").status_code,
}
print(json.dumps(answers))
"""


def test_the_api_applies_the_projects_drf_permissions() -> None:
    """DRF binds its defaults when the views are imported: a fresh process with locked settings."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.reliability.locked_api_settings"}
    result = subprocess.run(
        [sys.executable, "-c", LOCKED_API],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    # Anonymous visitors are refused by the project's IsAuthenticated; the webhook, which
    # Octy calls without logging in, still answers for itself (no secret: 401).
    assert answers == {"events": 403, "recommendations": 403, "content": 403, "webhook": 401}


def test_the_flush_refuses_a_plain_http_base_url(octy: FakeOcty, settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "ALLOW_INSECURE_BASE_URL": False}
    Profile.objects.create(customer_id="c1")

    summary = flush_all()

    assert "HTTPS" in summary.stopped or "https" in summary.stopped.lower()
    assert octy.request_log == [], "nothing may reach a plain-HTTP Octy"
    (alarm,) = SyncAlarm.objects.filter(kind=AlarmKind.CONFIGURATION)
    assert octy.secret_key not in alarm.message
    assert Profile.objects.get(customer_id="c1").state == "pending"


def test_a_cookieless_flood_reaches_octy_as_at_most_the_anonymous_profile_rate(
    octy: FakeOcty,
) -> None:
    EventType.objects.create(event_type="watched_video")
    body = {"event_type": "watched_video"}
    statuses = [
        APIClient().post("/octy/events/", body, format="json").status_code for _ in range(300)
    ]

    assert statuses.count(202) == 60 and statuses.count(429) == 240
    assert not flush_all().stopped
    assert len([c for c in octy.profiles if c.startswith("anon-")]) == 60
    assert len(octy.events) == 60


def test_a_purchase_forged_by_a_visitor_never_reaches_octy(octy: FakeOcty) -> None:
    EventType.objects.create(event_type="charged", event_properties=["item_id"])
    visitor = APIClient(enforce_csrf_checks=True)
    forged = {"event_type": "charged", "event_properties": {"item_id": "sku-1"}}

    assert visitor.post("/octy/events/", forged, format="json").status_code == 403, "no CSRF"
    visitor.cookies["csrftoken"] = token = "b" * 32
    answer = visitor.post("/octy/events/", forged, format="json", HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 400
    assert not flush_all().stopped
    assert not [e for e in octy.events if e["event_type"] == "charged"]


def test_a_webhook_body_with_a_nul_byte_is_stored_and_acknowledged(octy: FakeOcty) -> None:
    body = b'{"event": "training_complete"}\x00\xff'
    answer = APIClient().generic(
        "POST", f"{WEBHOOK}?token=whsec_for_security", body, content_type="application/json"
    )
    assert answer.status_code == 200
    assert WebhookDelivery.objects.get().raw_body == body


def test_an_erased_customers_data_never_leaves_again(octy: FakeOcty) -> None:
    track("cust-9", "charged", {"item_id": "sku-1", "payment_method": "visa"}, key="o9")
    assert not flush_all().stopped
    octy.request_log.clear()
    track("cust-9", "charged", {"item_id": "sku-2", "payment_method": "visa"}, key="o10")

    erase("cust-9")
    assert not flush_all().stopped

    assert "cust-9" not in octy.profiles
    sent = json.dumps([entry.body for entry in octy.request_log])
    assert "sku-2" not in sent and "visa" not in sent
    assert Profile.objects.get().state == SyncState.DELETED
    assert list(Event.objects.values_list("event_properties", flat=True)) == [{}]
