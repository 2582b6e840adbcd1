"""The Python API: recommendations, messages and the churn report, with caching."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from django_octy import insights
from django_octy.client import OctyServerError
from django_octy.models import MessageTemplate, Profile
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, Product

pytestmark = pytest.mark.django_db

RECOMMENDATIONS = "/v1/retention/recommendations"


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


def octy_id(customer: Customer) -> str:
    return str(Profile.objects.get(customer_id=str(customer.pk)).octy_id)


def test_recommendations_are_host_objects_in_score_order_then_cached(
    octy: FakeOcty, shop: dict[str, Any]
) -> None:
    ann = shop["customers"][0]
    octy.set_recommendations(octy_id(ann), [("sku-1", 0.2), ("sku-2", 0.9), ("sku-0", 0.5)])

    first = insights.recommendations_for(ann, limit=2)
    octy.request_log.clear()
    second = insights.recommendations_for(ann, limit=3)

    assert first == [Product.objects.get(sku="sku-2"), Product.objects.get(sku="sku-0")]
    assert all(isinstance(product, Product) for product in second)
    assert [p.sku for p in second] == ["sku-2", "sku-0", "sku-1"]
    assert not [e for e in octy.request_log if e.path == RECOMMENDATIONS], "served from cache"


def test_recommendations_expire_with_the_configured_ttl(
    octy: FakeOcty, shop: dict[str, Any], settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "CACHE_TTL": 0}
    ann = shop["customers"][0]
    insights.recommendations_for(ann)
    insights.recommendations_for(ann)
    assert len([e for e in octy.request_log if e.path == RECOMMENDATIONS]) == 2


def test_a_customer_not_in_octy_gets_no_recommendations(octy: FakeOcty, db: None) -> None:
    assert insights.recommendations_for("nobody") == []
    assert not octy.request_log


def make_template(octy: FakeOcty) -> MessageTemplate:
    template = MessageTemplate.objects.create(
        friendly_name="Greeting",
        template_type="email",
        title="Hello {first_name}",
        content="Hi {first_name}, {greeting}!",
        default_values={"first_name": "there", "greeting": "welcome"},
    )
    flush_all()
    template.refresh_from_db()
    return template


def test_generate_messages_batches_100_per_request(octy: FakeOcty, shop: dict[str, Any]) -> None:
    template = make_template(octy)
    people = [Customer.objects.create(email=f"c{n}@example.com") for n in range(147)]
    flush_all()
    octy.request_log.clear()

    messages = insights.generate_messages(
        "Greeting", [*people, "nobody"], data=lambda c: {"first_name": getattr(c, "email", "")}
    )

    sizes = [e.objects for e in octy.request_log if e.path.endswith("content/generate")]
    assert sizes == [100, 47]
    assert messages[0].title == "Hello c0@example.com"
    assert messages[5].content == "Hi c5@example.com, welcome!"
    assert messages[-1].error == "The customer is not in Octy yet."
    assert template.octy_id


def test_generate_messages_reports_octys_refusal_per_customer(
    octy: FakeOcty, shop: dict[str, Any]
) -> None:
    make_template(octy)
    ann, bob, _ = shop["customers"]
    octy.merge_profiles(str(bob.pk), str(ann.pk))  # bob's profile id stops working
    messages = insights.generate_messages("Greeting", [bob, ann], data={"greeting": "hey"})
    assert octy_id(bob) in messages[0].error
    assert (messages[1].title, messages[1].content) == ("Hello there", "Hi there, hey!")


def test_churn_report_is_cached_and_errors_are_not(octy: FakeOcty, db: None) -> None:
    octy.inject("/v1/retention/churn_prediction", status=500)
    with pytest.raises(OctyServerError):
        insights.churn_report()
    report = insights.churn_report()
    octy.request_log.clear()
    assert insights.churn_report() == report
    assert "churn_data" in report and not octy.request_log
