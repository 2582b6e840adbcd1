"""Fixtures of the read-back tests: shop customers and products pushed to the fake Octy."""

from __future__ import annotations

from typing import Any

import pytest

from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOcty
from tests.shop.models import Customer, Product
from tests.sync.conftest import worker  # noqa: F401 - a real Celery worker, for the task tests


@pytest.fixture
def octy(octy_settings: FakeOcty, settings: Any) -> FakeOcty:
    settings.OCTY = {**settings.OCTY, "MAX_RETRIES": 0, "SYNC_ENABLED": True}
    return octy_settings


@pytest.fixture
def shop(octy: FakeOcty, db: None) -> dict[str, Any]:
    """Three customers and three products, in Octy."""
    people = [
        Customer.objects.create(email=f"{name}@example.com", first_name=name)
        for name in ("ann", "bob", "cid")
    ]
    products = [
        Product.objects.create(sku=f"sku-{n}", name=f"Product {n}", category="shoes", price="9.99")
        for n in range(3)
    ]
    summary = flush_all()
    assert not summary.stopped, summary.stopped
    assert summary.total("failed") == 0
    return {"customers": people, "products": products}
