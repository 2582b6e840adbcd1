"""POST events/ as an attacker tries it: cookieless floods, forged purchases, forged requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from django_octy import sources
from django_octy.models import Event, EventType, Profile
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

pytestmark = pytest.mark.django_db

URL = "/octy/events/"
WATCHED = {"event_type": "watched_video", "event_properties": {"video_id": "v-42"}}


def cookieless_post(body: dict[str, Any], **extra: Any) -> Any:
    """A POST from a client that keeps no cookies: a fresh session every time."""
    return APIClient().post(URL, body, format="json", **extra)


def test_cookieless_visitors_cannot_mint_a_profile_per_request(octy: FakeOcty) -> None:
    statuses = [cookieless_post(WATCHED).status_code for _ in range(100)]

    assert statuses[:60] == [202] * 60, "OCTY['ANONYMOUS_PROFILE_RATE'] is 60/hour an address"
    assert set(statuses[60:]) == {429}
    assert Profile.objects.count() == 60 and Event.objects.count() == 60
    refused = cookieless_post(WATCHED)
    assert int(refused["Retry-After"]) > 0


def test_cookieless_requests_share_their_addresss_event_budget(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "EVENT_THROTTLE_RATE": "3/min"}
    bad = {"event_type": "teleported"}  # refused (400) before any profile is made
    assert [cookieless_post(bad).status_code for _ in range(4)] == [400, 400, 400, 429]


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "ANONYMOUS_PROFILE_RATE": "2/hour"}
    statuses = [
        cookieless_post(WATCHED, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(4)
    ]
    assert statuses == [202, 202, 429, 429], "no proxy is trusted: the header is ignored"
    assert Profile.objects.count() == 2


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {
        **settings.OCTY,
        "ANONYMOUS_PROFILE_RATE": "1/hour",
        "TRUSTED_PROXIES": ["10.0.0.0/8"],
    }
    proxy = {"REMOTE_ADDR": "10.1.2.3"}

    def via_proxy(forwarded_for: str) -> int:
        return int(
            cookieless_post(WATCHED, HTTP_X_FORWARDED_FOR=forwarded_for, **proxy).status_code
        )

    assert via_proxy("203.0.113.7") == 202
    assert via_proxy("203.0.113.8") == 202, "another client behind the proxy"
    # The client writes its own X-Forwarded-For; the proxy appends the address it saw.
    assert via_proxy("198.51.100.1, 203.0.113.7") == 429, "the forged entry is not the client"
    assert via_proxy("203.0.113.7, 10.9.9.9") == 429, "a second trusted hop is skipped"


def test_a_trusted_proxy_that_is_no_address_is_a_configuration_error(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "TRUSTED_PROXIES": ["proxy.internal"]}
    with pytest.raises(ImproperlyConfigured, match=r"'proxy\.internal' is not an IP address"):
        cookieless_post(WATCHED)


def test_visitors_cannot_post_charged_even_when_it_is_listed(
    octy: FakeOcty, settings: Any, api: APIClient
) -> None:
    forged = {"event_type": "charged", "event_properties": {"item_id": "sku-1"}}
    assert EventType.objects.filter(event_type="charged").exists(), "the shop declares it"
    for listed in (None, ["charged", "watched_video"]):
        settings.OCTY = {**settings.OCTY, "FRONTEND_EVENT_TYPES": listed}
        response = api.post(URL, forged, format="json")
        assert response.status_code == 400
        assert "may not be posted by the front end" in response.json()["event_type"][0]
    assert not Event.objects.exists()


@pytest.fixture
def signed_up_source() -> Iterator[None]:
    """Customers record a ``signed_up`` event on the server."""

    class SignedUpSource(sources.EventSource[Customer]):
        event_type = "signed_up"
        customer_field = "pk"

    sources.register(Customer)(SignedUpSource)
    yield
    sources.unregister(Customer, SignedUpSource)


def test_types_the_server_records_are_refused_by_default(
    octy: FakeOcty, api: APIClient, signed_up_source: None
) -> None:
    EventType.objects.create(event_type="signed_up")
    response = api.post(URL, {"event_type": "signed_up"}, format="json")
    assert response.status_code == 400 and "may not be posted" in response.json()["event_type"][0]
    assert api.post(URL, WATCHED, format="json").status_code == 202, "a front-end type"


def test_a_set_allow_list_is_all_the_front_end_may_post(
    octy: FakeOcty, api: APIClient, settings: Any
) -> None:
    EventType.objects.create(event_type="searched")
    settings.OCTY = {**settings.OCTY, "FRONTEND_EVENT_TYPES": ["searched"]}
    assert api.post(URL, {"event_type": "searched"}, format="json").status_code == 202
    assert api.post(URL, WATCHED, format="json").status_code == 400


def test_an_anonymous_form_post_without_the_csrf_token_is_refused(octy: FakeOcty) -> None:
    browser = APIClient(enforce_csrf_checks=True)
    response = browser.post(URL, {"event_type": "watched_video"})  # form-encoded, no token

    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not Event.objects.exists() and not Profile.objects.exists()
    browser.cookies["csrftoken"] = token = "a" * 32
    accepted = browser.post(URL, {"event_type": "watched_video"}, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 202


def test_a_logged_in_visitor_needs_the_csrf_token_too(octy: FakeOcty, ann: Customer) -> None:
    browser = APIClient(enforce_csrf_checks=True)
    browser.login(username="ann", password="pw")
    assert browser.post(URL, WATCHED, format="json").status_code == 403
    assert not Event.objects.exists()
