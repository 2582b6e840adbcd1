"""Every admin page of the app, as a superuser, as staff without permissions and anonymously."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from django_octy.models import (
    Event,
    EventType,
    Item,
    MessageTemplate,
    Profile,
    PushLog,
    Segment,
    SyncAlarm,
    SyncError,
    SyncState,
    WebhookDelivery,
)
from django_octy.sync.folding import fold_changes
from tests.shop.models import Customer

from .conftest import assert_no_secret, staff_with

pytestmark = pytest.mark.django_db

MIRRORS = ("profile", "item", "event", "eventtype", "segment", "messagetemplate")
LOGS = ("syncerror", "pushlog", "syncalarm", "webhookdelivery")


@pytest.fixture
def rows() -> dict[str, Any]:
    profile = Profile.objects.create(
        customer_id="cust-1", octy_id="profile_abc", profile_data={"city": "Oslo"}
    )
    Profile.objects.filter(pk=profile.pk).update(
        state=SyncState.FAILED, last_error="profile_data: 'age' must be an integer. " * 5
    )
    objects = {
        "profile": profile,
        "item": Item.objects.create(item_id="tent", item_category="camp", item_name="Tent"),
        "event": Event.objects.create(profile=profile, event_type="charged"),
        "eventtype": EventType.objects.create(event_type="login"),
        "segment": Segment.objects.create(segment_name="fast payers"),
        "messagetemplate": MessageTemplate.objects.create(
            friendly_name="hello", template_type="email", content="Hi {first_name}"
        ),
        "syncerror": SyncError.objects.create(
            entity="profile",
            row_id=profile.pk,
            identifier="cust-1",
            operation="create",
            http_status=400,
            reason="Invalid customer identifier provided",
            extended_help="https://octy.ai/docs/profiles",
        ),
        "pushlog": PushLog.objects.create(
            entity="profile", operation="create", sent=1, failed=1, duration=0.2
        ),
        "syncalarm": SyncAlarm.objects.create(kind="auth", message="Octy refused the keys"),
        "webhookdelivery": WebhookDelivery.objects.create(
            body='{"event": "unknown"}', payload={"event": "unknown"}, event="unknown"
        ),
    }
    return objects


def urls(rows: dict[str, Any]) -> list[str]:
    pages = [
        reverse("admin:app_list", args=["django_octy"]),
        reverse("admin:django_octy_dashboard"),
    ]
    for name in (*MIRRORS, *LOGS):
        pages.append(reverse(f"admin:django_octy_{name}_changelist"))
        pages.append(reverse(f"admin:django_octy_{name}_change", args=[rows[name].pk]))
    return pages


def test_every_page_renders_for_a_superuser_without_the_secret(
    superuser_client: Client, rows: dict[str, Any]
) -> None:
    for url in urls(rows):
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        assert_no_secret(response)


def test_anonymous_users_are_sent_to_the_login_page(client: Client, rows: dict[str, Any]) -> None:
    for url in urls(rows):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_staff_without_permissions_is_refused(rows: dict[str, Any]) -> None:
    client = staff_with()
    app_index, *pages = urls(rows)
    assert client.get(app_index).status_code == 404
    for url in pages:
        assert client.get(url).status_code == 403, url


def test_view_permission_opens_the_pages_read_only(rows: dict[str, Any]) -> None:
    client = staff_with("view_profile")
    url = reverse("admin:django_octy_profile_change", args=[rows["profile"].pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b'name="customer_id"' not in response.content
    assert client.post(url, {"customer_id": "x"}).status_code == 403


def test_changelist_shows_key_fields_state_and_a_short_error(
    superuser_client: Client, rows: dict[str, Any]
) -> None:
    response = superuser_client.get(reverse("admin:django_octy_profile_changelist"))
    page = response.content.decode()
    assert "cust-1" in page
    assert "profile_abc" not in page  # the Octy id is on the change page, not in the list
    assert '<span class="octy-state octy-state-failed">Failed</span>' in page
    full_error = Profile.objects.get().last_error.replace("'", "&#x27;")
    shown = page.split(f'title="{full_error}">', 1)[1].split("</span>", 1)[0]
    assert shown.startswith("profile_data: &#x27;age&#x27; must be an integer.")
    assert shown.endswith("…") and len(shown) < len(full_error)
    assert "1 profile" in page


def test_change_page_shows_the_full_error_and_octys_computed_fields(
    superuser_client: Client, rows: dict[str, Any]
) -> None:
    url = reverse("admin:django_octy_profile_change", args=[rows["profile"].pk])
    page = superuser_client.get(url).content.decode()
    full_error = Profile.objects.get().last_error.strip().replace("'", "&#x27;")
    assert full_error in page
    assert "Computed by Octy" in page and "Octy sync" in page


@pytest.mark.parametrize(
    ("term", "found"),
    [("cust-1", True), ("profile_abc", True), ("cust", False), ("nobody", False)],
)
def test_search_matches_customer_id_or_octy_id_exactly(
    superuser_client: Client, rows: dict[str, Any], term: str, found: bool
) -> None:
    response = superuser_client.get(reverse("admin:django_octy_profile_changelist"), {"q": term})
    assert (list(response.context["cl"].result_list) == [rows["profile"]]) is found


def test_search_items_by_item_id(superuser_client: Client, rows: dict[str, Any]) -> None:
    response = superuser_client.get(reverse("admin:django_octy_item_changelist"), {"q": "tent"})
    assert list(response.context["cl"].result_list) == [rows["item"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"state__exact": "failed"}, 1), ({"state__exact": "synced"}, 0), ({"in_octy": "no"}, 0)],
)
def test_filters(
    superuser_client: Client, rows: dict[str, Any], query: dict[str, str], expected: int
) -> None:
    response = superuser_client.get(reverse("admin:django_octy_profile_changelist"), query)
    assert response.context["cl"].result_count == expected


def test_error_log_is_read_only_newest_first_with_links(
    superuser_client: Client, rows: dict[str, Any]
) -> None:
    newer = SyncError.objects.create(entity="item", identifier="tent", operation="update")
    response = superuser_client.get(reverse("admin:django_octy_syncerror_changelist"))
    assert response.context["cl"].result_list[0] == newer
    page = response.content.decode()
    profile_url = reverse("admin:django_octy_profile_change", args=[rows["profile"].pk])
    assert f'<a href="{profile_url}">cust-1</a>' in page
    assert 'href="https://octy.ai/docs/profiles"' in page
    assert reverse("admin:django_octy_syncerror_add") not in page
    assert "action-checkbox" not in page
    change = reverse("admin:django_octy_syncerror_change", args=[newer.pk])
    assert superuser_client.post(change, {"reason": "edited"}).status_code == 403
    assert superuser_client.get(reverse("admin:django_octy_syncerror_add")).status_code == 403


def test_large_tables_are_not_counted_in_full(superuser_client: Client, settings: Any) -> None:
    from django_octy.admin.paginator import CappedCountPaginator

    Profile.objects.bulk_create(Profile(customer_id=f"c{n}") for n in range(25))
    original = CappedCountPaginator.CAP
    CappedCountPaginator.CAP = 10
    try:
        response = superuser_client.get(reverse("admin:django_octy_profile_changelist"))
    finally:
        CappedCountPaginator.CAP = original
    assert "More than 10 profiles" in response.content.decode()
    assert response.context["cl"].result_count == 11


def test_host_change_page_shows_its_octy_sync_state(superuser_client: Client) -> None:
    customer = Customer.objects.create(email="ada@example.com", first_name="Ada")
    fold_changes()  # its profile row, as the flush maps it
    profile = Profile.objects.get()
    Profile.objects.filter(pk=profile.pk).update(octy_id="profile_ada", state=SyncState.SYNCED)

    url = reverse("admin:shop_customer_change", args=[customer.pk])
    response = superuser_client.get(url)
    assert_no_secret(response)
    page = response.content.decode()

    assert "Octy profile" in page
    assert "profile_ada" in page
    assert '<span class="octy-state octy-state-synced">Synced</span>' in page
    assert ContentType.objects.get_for_model(Customer).pk == profile.source_type_id


def test_dashboard_is_linked_from_the_admin_home_and_the_app_index(
    superuser_client: Client,
) -> None:
    link = f'<a href="{reverse("admin:django_octy_dashboard")}"'
    for url in (reverse("admin:index"), reverse("admin:app_list", args=["django_octy"])):
        assert link in superuser_client.get(url).content.decode(), url


def test_the_dashboard_is_listed_only_for_those_who_may_see_it() -> None:
    link = reverse("admin:django_octy_dashboard")
    assert link in staff_with("view_pushlog").get(reverse("admin:index")).content.decode()
    assert link not in staff_with("view_profile").get(reverse("admin:index")).content.decode()


def test_an_error_shows_its_messages_as_a_list(superuser_client: Client) -> None:
    error = SyncError.objects.create(
        entity="profile",
        identifier="c1",
        operation="create",
        reason="Invalid profile",
        messages=["age must be an integer", "os <b>unknown</b>"],
    )
    page = superuser_client.get(
        reverse("admin:django_octy_syncerror_change", args=[error.pk])
    ).content.decode()

    assert (
        '<ul class="octy-list"><li>age must be an integer</li>'
        "<li>os &lt;b&gt;unknown&lt;/b&gt;</li></ul>"
    ) in page
    assert "[&quot;age must be an integer" not in page
