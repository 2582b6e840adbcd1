"""GET recommendations/ and content/, and the OpenAPI schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from django_octy.models import MessageTemplate, Profile
from django_octy.readback import pull
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, Product

pytestmark = pytest.mark.django_db

CONTENT = "/v1/retention/messaging/content/generate"


@pytest.fixture
def logged_in(api: APIClient, ann: Customer) -> APIClient:
    api.login(username="ann", password="pw")
    return api


def test_recommendations_for_the_visitor_in_score_order_then_from_cache(
    octy: FakeOcty, logged_in: APIClient, ann: Customer
) -> None:
    for n in range(3):
        Product.objects.create(sku=f"sku-{n}", name=f"P{n}", category="c", price="1.50")
    flush_all()
    profile_id = Profile.objects.get(customer_id=str(ann.pk)).octy_id
    assert profile_id
    octy.set_recommendations(profile_id, [("sku-0", 0.1), ("sku-2", 0.8)])

    first = logged_in.get("/octy/recommendations/", {"limit": 5})
    octy.request_log.clear()
    second = logged_in.get("/octy/recommendations/")

    assert first.status_code == 200
    assert [(i["item_id"], i["score"], i["item_price"]) for i in first.json()["items"]] == [
        ("sku-2", 0.8, 150),
        ("sku-0", 0.1, 150),
    ]
    assert second.json() == first.json()
    assert not octy.request_log


def test_a_bad_limit_is_a_400_naming_it(octy: FakeOcty, api: APIClient) -> None:
    response = api.get("/octy/recommendations/", {"limit": "lots"})
    assert response.status_code == 400 and "limit" in response.json()


def banners() -> None:
    MessageTemplate.objects.create(
        friendly_name="Default banner",
        template_type="website",
        title="Welcome",
        content="Hello {name}!",
        default_values={"name": "friend"},
    )
    MessageTemplate.objects.create(
        friendly_name="Stay banner",
        template_type="website",
        title="--",
        content="Wait {name}, before you think about going...",
        default_values={"name": "friend"},
        metadata={"churn_pred": "high", "rfm_score_lower": 333, "rfm_score_upper": 444},
    )
    flush_all()


def test_content_picks_the_template_that_targets_the_visitor(
    octy: FakeOcty, logged_in: APIClient, ann: Customer
) -> None:
    banners()
    octy.set_profile_insights(str(ann.pk), churn_probability="high", rfm_score=400)
    pull("profile")

    response = logged_in.get("/octy/content/", {"sections": "website,email"})

    assert response.status_code == 200
    assert response.json()["sections"] == {
        "website": {
            "template": "Stay banner",
            "title": "--",
            "content": "Wait friend, before you think about going...",
            "personalised": True,
        },
        "email": None,
    }
    assert [e.path for e in octy.request_log].count(CONTENT) == 1


def test_content_for_a_visitor_outside_the_target_is_the_general_template(
    octy: FakeOcty, logged_in: APIClient, ann: Customer
) -> None:
    banners()
    octy.set_profile_insights(str(ann.pk), churn_probability="high", rfm_score=111)
    pull("profile")
    section = logged_in.get("/octy/content/", {"sections": "website"}).json()["sections"]
    assert section["website"]["template"] == "Default banner"


def test_content_falls_back_to_defaults_when_octy_fails(
    octy: FakeOcty, logged_in: APIClient, ann: Customer
) -> None:
    banners()
    octy.inject(CONTENT, status=500, times=None)
    response = logged_in.get("/octy/content/", {"sections": "website"})
    assert response.status_code == 200
    assert response.json()["sections"]["website"] == {
        "template": "Default banner",
        "title": "Welcome",
        "content": "Hello friend!",
        "personalised": False,
    }
    assert [e.status for e in octy.request_log if e.path == CONTENT] == [500]


def test_content_needs_sections(octy: FakeOcty, api: APIClient) -> None:
    response = api.get("/octy/content/", {"sections": " , "})
    assert response.status_code == 400
    assert response.json() == {"sections": ["Name at least one section."]}


def test_the_openapi_schema_describes_the_endpoints(octy: FakeOcty, api: APIClient) -> None:
    response = api.get("/octy/schema/")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {
        "/octy/events/",
        "/octy/recommendations/",
        "/octy/content/",
        "/octy/webhook/",
    }
    parameters = schema["paths"]["/octy/content/"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in parameters] == [
        ("sections", "query", True)
    ]
    body = schema["paths"]["/octy/events/"]["post"]["requestBody"]["content"]["application/json"]
    assert "event_type" in str(body) or "Event" in str(body)
