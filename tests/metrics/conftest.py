"""Fixtures of the metrics and health tests: the fake Octy, the views' URLs, a scrape parser."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.sync.conftest import octy

__all__ = ["octy"]

METRICS = "/octy/ops/metrics/"
LIVE = "/octy/ops/live/"
READY = "/octy/ops/ready/"
HEALTH = "/octy/ops/health/"
TOKEN = "metrics-token-never-shown"


@pytest.fixture
def staff_client(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_user("ops", is_staff=True))
    return client


@pytest.fixture
def token_settings(settings: Any) -> str:
    settings.OCTY = {**settings.OCTY, "METRICS_TOKEN": TOKEN}
    return TOKEN


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Client, **headers: str) -> Samples:
    """Every sample of the metrics view, parsed by prometheus_client's own parser."""
    response = client.get(METRICS, headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in samples, f"duplicate sample {key}"
            samples[key] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]
