"""The bulk actions: they queue work for Celery (never call Octy), check permissions, and
ask before touching large selections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_octy.admin.actions import CONFIRM_ABOVE
from django_octy.models import Event, Profile, SyncState
from django_octy.testing import FakeOcty

from .conftest import assert_no_secret, staff_with

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:django_octy_profile_changelist"


def make_profiles(count: int, **fields: Any) -> list[int]:
    Profile.objects.bulk_create(Profile(customer_id=f"c{n:04d}", **fields) for n in range(count))
    return list(Profile.objects.order_by("pk").values_list("pk", flat=True))


def act(client: Client, action: str, pks: list[int], **extra: str) -> Any:
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], "index": "0", **extra}
    return client.post(reverse(CHANGELIST), data, follow=True)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_push_now_queues_rows_and_schedules_a_flush(
    superuser_client: Client, published: list[dict[str, Any]], octy_server: FakeOcty
) -> None:
    pks = make_profiles(3, state=SyncState.SYNCED, octy_id="p")
    Profile.objects.filter(pk=pks[0]).update(state=SyncState.FAILED, attempts=10)

    response = act(superuser_client, "push_now", pks[:2])

    assert messages_of(response) == [
        "2 rows queued and a flush scheduled. A Celery worker does the rest."
    ]
    states = dict(Profile.objects.values_list("pk", "state"))
    assert states == {pks[0]: "pending", pks[1]: "pending", pks[2]: "synced"}
    assert Profile.objects.get(pk=pks[0]).attempts == 0
    assert [task["task"] for task in published] == ["django_octy.tasks.flush"]
    assert octy_server.request_log == []  # nothing went to Octy during the request
    assert_no_secret(response)


def test_push_now_makes_rows_waiting_out_a_backoff_due_now(
    superuser_client: Client, published: list[dict[str, Any]]
) -> None:
    pks = make_profiles(1, next_attempt_at=timezone.now() + timedelta(hours=1), attempts=3)

    response = act(superuser_client, "push_now", pks)

    assert messages_of(response)[0].startswith("1 rows queued and a flush scheduled.")
    assert Profile.objects.get().next_attempt_at is None
    assert [task["task"] for task in published] == ["django_octy.tasks.flush"]


def test_push_now_does_not_resend_synced_events(
    superuser_client: Client, published: list[dict[str, Any]]
) -> None:
    profile = Profile.objects.create(customer_id="c1")
    event = Event.objects.create(profile=profile, event_type="login")
    Event.objects.filter(pk=event.pk).update(state=SyncState.SYNCED, octy_id="event_1")

    url = reverse("admin:django_octy_event_changelist")
    data = {"action": "push_now", ACTION_CHECKBOX_NAME: [str(event.pk)], "index": "0"}
    response = superuser_client.post(url, data, follow=True)

    assert messages_of(response) == ["None of the selected rows can be pushed again."]
    assert Event.objects.get().state == SyncState.SYNCED
    assert published == []


def test_requeue_failed_only_touches_failed_rows(
    superuser_client: Client, published: list[dict[str, Any]]
) -> None:
    pks = make_profiles(3, state=SyncState.SYNCED)
    Profile.objects.filter(pk=pks[1]).update(state=SyncState.FAILED, attempts=10)

    response = act(superuser_client, "requeue_failed_rows", pks)

    assert messages_of(response) == [
        "1 failed rows queued again and a flush scheduled. A Celery worker does the rest."
    ]
    assert Profile.objects.get(pk=pks[1]).state == SyncState.PENDING
    assert Profile.objects.filter(state=SyncState.SYNCED).count() == 2
    assert [task["task"] for task in published] == ["django_octy.tasks.flush"]
    response = act(superuser_client, "requeue_failed_rows", pks)
    assert messages_of(response) == ["None of the selected rows had failed."]


def test_pull_schedules_the_read_back_task_for_rows_in_octy(
    superuser_client: Client, published: list[dict[str, Any]]
) -> None:
    pks = make_profiles(3, octy_id="p")
    Profile.objects.filter(pk=pks[2]).update(octy_id=None)

    response = act(superuser_client, "pull_from_octy", pks)

    assert messages_of(response) == [
        "2 rows will be fetched from Octy (1 tasks). A Celery worker does the rest."
    ]
    assert published == [
        {"task": "django_octy.tasks.pull", "kwargs": {"entity": "profile", "ids": pks[:2]}}
    ]


def test_pull_is_not_offered_for_events(superuser_client: Client) -> None:
    response = superuser_client.get(reverse("admin:django_octy_event_changelist"))
    choices = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert "push_now" in choices and "pull_from_octy" not in choices
    assert "delete_selected" not in choices


def test_large_selections_ask_for_confirmation_first(
    superuser_client: Client, published: list[dict[str, Any]]
) -> None:
    pks = make_profiles(CONFIRM_ABOVE + 1, state=SyncState.SYNCED)

    page = act(superuser_client, "push_now", pks[:3], select_across="1")
    assert_no_secret(page)

    assert page.templates[0].name == "admin/django_octy/confirm_action.html"
    assert f"Queue {CONFIRM_ABOVE + 1} profiles for a push to Octy?" in page.content.decode()
    assert not Profile.objects.filter(state=SyncState.PENDING).exists()
    assert published == []

    data = {
        "action": "push_now",
        ACTION_CHECKBOX_NAME: [str(pk) for pk in pks[:3]],
        "select_across": "1",
        "confirmed": "yes",
    }
    done = superuser_client.post(reverse(CHANGELIST), data, follow=True)

    assert messages_of(done) == [
        f"{CONFIRM_ABOVE + 1} rows queued and a flush scheduled. A Celery worker does the rest."
    ]
    assert Profile.objects.filter(state=SyncState.PENDING).count() == CONFIRM_ABOVE + 1


def test_small_selections_need_no_confirmation(
    superuser_client: Client, published: list[dict[str, Any]]
) -> None:
    pks = make_profiles(CONFIRM_ABOVE, state=SyncState.SYNCED)
    response = act(superuser_client, "push_now", pks)
    assert response.redirect_chain and published


@pytest.mark.parametrize("action", ["push_now", "requeue_failed_rows", "pull_from_octy"])
def test_actions_need_the_change_permission(action: str, published: list[dict[str, Any]]) -> None:
    pks = make_profiles(2, state=SyncState.FAILED, octy_id="p")
    viewer = staff_with("view_profile")

    listing = viewer.get(reverse(CHANGELIST))
    assert listing.status_code == 200
    assert "action_form" not in listing.context or listing.context["action_form"] is None

    response = act(viewer, action, pks)

    assert Profile.objects.filter(state=SyncState.FAILED).count() == 2
    assert published == []
    assert response.status_code == 200

    editor = staff_with("view_profile", "change_profile")
    act(editor, action, pks)
    assert published or Profile.objects.filter(state=SyncState.PENDING).exists()


def test_a_broker_that_is_down_is_reported_not_raised(
    superuser_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery import Celery

    from tests.celery_app import app

    pks = make_profiles(1, state=SyncState.SYNCED)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery prefers it to broker_url
    down = Celery("down", broker="redis://127.0.0.1:1/0", set_as_current=False)
    down.conf.broker_connection_timeout = 0.5
    down.conf.broker_transport_options = {"max_retries": 0}
    down.set_current()
    try:
        response = act(superuser_client, "push_now", pks)
    finally:
        app.set_current()
    assert response.status_code == 200
    assert "The Celery broker could not be reached" in messages_of(response)[0]
    assert Profile.objects.get().state == SyncState.PENDING
