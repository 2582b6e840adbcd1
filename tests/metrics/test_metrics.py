"""The metrics view: the pipeline's rows, pushes and alarms, as Prometheus reads them."""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from django_octy.metrics.collector import PipelineCollector
from django_octy.models import AlarmKind, HostChange, Item, Profile, SyncState
from django_octy.sync.alarms import resolve_alarms
from django_octy.sync.flush import flush_all
from django_octy.sync.folding import fold_changes
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, Product

from .conftest import HEALTH, METRICS, TOKEN, scrape, value

pytestmark = pytest.mark.django_db

CREATE_PROFILES = "/v1/retention/profiles/create"
ROWS = "django_octy_unsynced_rows"
AGE = "django_octy_oldest_pending_age_seconds"
REQUESTS = "django_octy_push_requests_total"
OBJECTS = "django_octy_push_objects_total"
ALARM = "django_octy_alarm_open"
UNMAPPED = "django_octy_unmapped_changes"
UNMAPPED_AGE = "django_octy_oldest_unmapped_change_age_seconds"


def rows(samples: dict[Any, float], entity: str, target: str = "octy") -> dict[str, float]:
    return {
        state: value(samples, ROWS, target=target, entity=entity, state=state)
        for state in ("pending", "backoff", "failed")
    }


def test_rows_ages_and_pushes_follow_real_flushes(
    octy: FakeOcty, settings: Any, staff_client: Client
) -> None:
    settings.OCTY = {**settings.OCTY, "BACKOFF_BASE": 600.0, "BACKOFF_MAX": 600.0}
    *_, refused = (Customer.objects.create(email=f"{n}@example.com") for n in "abc")
    octy.reject_object(str(refused.pk), "profile_data is invalid")
    octy.inject(CREATE_PROFILES, status=503, times=1)

    flush_all()  # the profiles' request fails as a whole: they back off
    samples = scrape(staff_client)
    assert rows(samples, "profile") == {"pending": 0, "backoff": 3, "failed": 0}
    assert value(samples, REQUESTS, **create_profiles("error"), status="503") == 1
    assert value(samples, OBJECTS, **create_profiles("unsettled")) == 3

    Profile.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    flush_all()  # two accepted, one refused by Octy
    product = Product.objects.create(sku="TEA", name="Tea", category="drinks", price=Decimal(1))
    fold_changes()  # mapped into its item row, not pushed
    Item.objects.filter(source_id=str(product.pk)).update(
        updated_at=timezone.now() - timedelta(hours=2)
    )

    samples = scrape(staff_client)
    assert rows(samples, "profile") == {"pending": 0, "backoff": 0, "failed": 1}
    assert rows(samples, "item") == {"pending": 1, "backoff": 0, "failed": 0}
    assert rows(samples, "octopus_entry", target="octopus") == {
        "pending": 0,
        "backoff": 0,
        "failed": 0,
    }
    assert value(samples, REQUESTS, **create_profiles("ok"), status="") == 1
    assert value(samples, REQUESTS, **create_profiles("error"), status="503") == 1
    assert value(samples, OBJECTS, **create_profiles("succeeded")) == 2
    assert value(samples, OBJECTS, **create_profiles("rejected")) == 1
    assert value(samples, OBJECTS, **create_profiles("unsettled")) == 3
    assert 7200 <= value(samples, AGE, target="octy", entity="item") < 7300
    assert value(samples, AGE, target="octy", entity="profile") == 0


def test_saves_wait_to_be_mapped_until_a_flush_maps_and_pushes_them(
    octy: FakeOcty, staff_client: Client
) -> None:
    samples = scrape(staff_client)
    assert (value(samples, UNMAPPED), value(samples, UNMAPPED_AGE)) == (0, 0)

    Customer.objects.create(email="a@example.com")
    Product.objects.create(sku="TEA", name="Tea", category="drinks", price=Decimal(1))
    HostChange.objects.update(recorded_at=timezone.now() - timedelta(hours=2))

    samples = scrape(staff_client)
    assert value(samples, UNMAPPED) == 2
    assert 7200 <= value(samples, UNMAPPED_AGE) < 7300
    nothing = {"pending": 0, "backoff": 0, "failed": 0}
    assert rows(samples, "profile") == rows(samples, "item") == nothing, "not mapped yet"

    flush_all()
    samples = scrape(staff_client)
    assert (value(samples, UNMAPPED), value(samples, UNMAPPED_AGE)) == (0, 0)
    assert rows(samples, "profile") == rows(samples, "item") == nothing, "pushed"
    assert (len(octy.profiles), len(octy.items)) == (1, 1)


def create_profiles(outcome: str) -> dict[str, str]:
    return {"target": "octy", "entity": "profile", "operation": "create", "outcome": outcome}


def test_a_request_without_an_answer_is_an_error_of_status_none(
    octy: FakeOcty, staff_client: Client
) -> None:
    Customer.objects.create(email="a@example.com")
    octy.inject(CREATE_PROFILES, drop_connection=True, times=1)

    flush_all()

    assert value(scrape(staff_client), REQUESTS, **create_profiles("error"), status="none") == 1


def test_alarms_are_open_while_the_keys_are_refused(octy: FakeOcty, staff_client: Client) -> None:
    Customer.objects.create(email="a@example.com")
    octy.inject("/v1/retention", status=401, times=None)

    flush_all()
    samples = scrape(staff_client)
    assert value(samples, ALARM, target="octy", kind="auth") == 1
    assert value(samples, ALARM, target="octy", kind="configuration") == 0
    assert value(samples, ALARM, target="octopus", kind="octopus_auth") == 0
    refused = {"target": "octy", "entity": "event_type", "operation": "create"}
    assert value(samples, REQUESTS, **refused, outcome="error", status="401") == 1

    resolve_alarms(AlarmKind.AUTH)
    assert value(scrape(staff_client), ALARM, target="octy", kind="auth") == 0


def test_whether_each_target_is_switched_on(settings: Any, staff_client: Client) -> None:
    def enabled() -> dict[str, float]:
        samples = scrape(staff_client)
        return {
            target: value(samples, "django_octy_target_enabled", target=target)
            for target in ("octy", "octopus")
        }

    assert enabled() == {"octy": 1, "octopus": 0}  # no Octopus base URL: not configured
    settings.OCTOPUS = {"BASE_URL": "http://127.0.0.1:1", "TOKEN": "t", "ALLOW_INSECURE": True}
    assert enabled() == {"octy": 1, "octopus": 1}
    settings.OCTY = {**settings.OCTY, "SYNC_ENABLED": False}
    assert enabled() == {"octy": 0, "octopus": 0}


def test_a_pending_deletion_counts_as_pending(staff_client: Client) -> None:
    Profile.objects.create(customer_id="gone")
    Profile.objects.update(state=SyncState.DELETE_PENDING)
    assert rows(scrape(staff_client), "profile")["pending"] == 1


def test_the_metrics_need_the_token_or_a_staff_user(
    client: Client, token_settings: str, staff_client: Client
) -> None:
    assert client.get(METRICS).status_code == 403
    assert client.get(METRICS, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get(METRICS, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 403
    user = Client()
    user.force_login(User.objects.create_user("shopper"))
    assert user.get(METRICS).status_code == 403

    by_token = scrape(client, Authorization=f"Bearer {TOKEN}")
    assert by_token == scrape(staff_client)
    assert client.post(METRICS, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


def test_without_a_token_only_staff_may_read(client: Client, staff_client: Client) -> None:
    assert client.get(METRICS, headers={"Authorization": "Bearer "}).status_code == 403
    assert scrape(staff_client)


def test_without_the_extra_the_view_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, staff_client: Client
) -> None:
    # What an environment without prometheus-client looks like to an import.
    for name in [name for name in sys.modules if name.partition(".")[0] == "prometheus_client"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "django_octy.metrics.collector", raising=False)

    response = staff_client.get(METRICS)

    assert response.status_code == 501
    assert "pip install 'django-octy[metrics]'" in response.content.decode()
    assert staff_client.get(HEALTH).status_code == 200


def test_the_collector_joins_a_projects_registry_without_a_query(
    django_assert_num_queries: Any,
) -> None:
    registry = CollectorRegistry(auto_describe=True)  # like prometheus_client.REGISTRY
    with django_assert_num_queries(0):
        registry.register(PipelineCollector())

    Profile.objects.create(customer_id="waiting")
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    }
    waiting = {"target": "octy", "entity": "profile", "state": "pending"}
    assert value(samples, ROWS, **waiting) == 1
    assert value(samples, ALARM, target="octy", kind="auth") == 0
