"""The admin's confirmation before an event type in Octy is replaced (delete + create)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth.models import User
from django.test import RequestFactory

from django_octy.admin.mirrors import EventTypeAdmin
from django_octy.models import EventType, Replacement, SyncState
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOcty

pytestmark = pytest.mark.django_db


@pytest.fixture
def model_admin() -> EventTypeAdmin:
    return EventTypeAdmin(EventType, AdminSite())


@pytest.fixture
def request_() -> Any:
    request = RequestFactory().post("/")
    request.user = User.objects.create_superuser("admin", "a@example.com", "pw")
    return request


def form_for(model_admin: Any, request: Any, row: EventType, data: dict[str, Any]) -> Any:
    form_class = model_admin.get_form(request, row, fields=model_admin.get_fields(request, row))
    return form_class(data, instance=row)


def test_a_change_needs_the_confirmation_that_explains_it(
    octy_settings: FakeOcty, model_admin: Any, request_: Any
) -> None:
    EventType.objects.create(event_type="login", event_properties=["device"])
    flush_all()
    row = EventType.objects.get(event_type="login")
    assert "replace_in_octy" in model_admin.get_fields(request_, row)
    data = {"event_type": "login", "event_properties": '["device", "time"]'}

    refused = form_for(model_admin, request_, row, data)
    assert not refused.is_valid()
    assert "deletes it from Octy and creates it again" in str(refused.non_field_errors())

    confirmed = form_for(model_admin, request_, row, {**data, "replace_in_octy": "on"})
    assert confirmed.is_valid(), confirmed.errors
    model_admin.save_model(request_, confirmed.save(commit=False), confirmed, True)
    old_id = octy_settings.event_types["login"]["event_type_id"]
    assert EventType.objects.get(event_type="login").state == SyncState.DELETE_PENDING
    assert Replacement.objects.get().old_octy_id == old_id

    flush_all()
    flush_all()
    login = octy_settings.event_types["login"]
    assert login["event_properties"] == ["device", "time"] and login["event_type_id"] != old_id
    assert EventType.objects.get(event_type="login").state == SyncState.SYNCED
    assert not Replacement.objects.exists()


def test_a_definition_not_yet_in_octy_saves_without_confirmation(
    model_admin: Any, request_: Any
) -> None:
    row = EventType.objects.create(event_type="logout", event_properties=[])
    assert "replace_in_octy" not in model_admin.get_fields(request_, row)
    form = form_for(model_admin, request_, row, {"event_type": "logout", "event_properties": "[]"})
    assert form.is_valid(), form.errors
