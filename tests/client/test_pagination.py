"""List reads page lazily through Octy's cursor header."""

from __future__ import annotations

from typing import Any

import pytest

from django_octy.client import OctyAPIError, OctyClient
from django_octy.client.pagination import PAGE_SIZE, Page, paginate
from django_octy.testing import FakeOcty
from django_octy.testing.dialect import Dialect

from .data import item, profile
from .evidence import raises

ITEMS = "/v1/retention/items"


def list_requests(octy: FakeOcty, path: str) -> list[str]:
    return [e.query for e in octy.request_log if (e.method, e.path) == ("GET", path)]


def test_three_pages(client: OctyClient, octy: FakeOcty) -> None:
    client.create_items(item(f"item-{n:04}") for n in range(1201))
    listed = [i["item_id"] for i in client.get_items()]
    assert listed == [f"item-{n:04}" for n in range(1201)]
    assert len(list_requests(octy, ITEMS)) == 3


def test_full_last_page_stops_at_the_total(client: OctyClient, octy: FakeOcty) -> None:
    client.create_items(item(f"item-{n:04}") for n in range(1000))
    assert len(list(client.get_items())) == 1000
    assert len(list_requests(octy, ITEMS)) == 2


def test_empty_list_is_one_request(client: OctyClient, octy: FakeOcty) -> None:
    assert list(client.get_templates()) == []
    assert len(list_requests(octy, "/v1/retention/messaging/templates")) == 1


def test_pages_are_fetched_as_the_caller_iterates(client: OctyClient, octy: FakeOcty) -> None:
    client.create_profiles(profile(f"c{n}") for n in range(600))
    octy.request_log.clear()
    profiles = client.get_profiles()
    assert octy.request_log == []
    first = next(profiles)
    assert first["customer_id"] == "c0"
    assert len(octy.request_log) == 1
    assert len(list(profiles)) == 599
    assert len(octy.request_log) == 2


def test_lookup_by_ids_does_not_page(client: OctyClient, octy: FakeOcty) -> None:
    client.create_items(item(f"item-{n:04}") for n in range(600))
    found = list(client.get_items(ids=["item-0001", "item-0599"]))
    assert [i["item_id"] for i in found] == ["item-0001", "item-0599"]
    assert list_requests(octy, ITEMS) == ["ids=item-0001%2Citem-0599"]


def test_long_lookups_are_split_into_short_urls(client: OctyClient, octy: FakeOcty) -> None:
    client.create_items(item(f"item-{n:04}") for n in range(250))
    wanted = [f"item-{n:04}" for n in range(250)]
    assert [i["item_id"] for i in client.get_items(ids=wanted)] == wanted
    assert len(list_requests(octy, ITEMS)) == 3


def test_filters_apply_to_every_page(client: OctyClient, octy: FakeOcty) -> None:
    client.create_profiles(profile(f"c{n}") for n in range(1100))
    for n in range(0, 1100, 2):
        octy.set_profile_insights(f"c{n}", churn_probability="high")
    high = [p["customer_id"] for p in client.get_profiles(churn_prob="high")]
    assert high == [f"c{n}" for n in range(0, 1100, 2)]
    queries = list_requests(octy, "/v1/retention/profiles")
    assert queries == ["churn_prob=high", "churn_prob=high"]


def full_page(start: int) -> list[dict[str, Any]]:
    return [{"n": n} for n in range(start, start + PAGE_SIZE)]


def test_a_cursor_that_does_not_advance_is_an_error() -> None:
    pages = paginate(lambda cursor: Page(full_page(0), cursor, None), "/v1/retention/items")
    with raises(OctyAPIError) as info:
        list(pages)
    assert "did not advance" in str(info.value)


def test_without_a_cursor_header_the_position_is_counted() -> None:
    asked: list[str] = []

    def fetch(cursor: str) -> Page:
        asked.append(cursor)
        start = int(cursor)
        return Page(full_page(start) if start < 1000 else [{"n": 1000}], None, None)

    assert len(list(paginate(fetch, "/v1/retention/items"))) == 1001
    assert asked == ["0", "500", "1000"]


@pytest.mark.parametrize("meaning", ["rows", "position"])
def test_both_readings_of_the_cursor_header_list_everything(
    client: OctyClient, octy: FakeOcty, meaning: str
) -> None:
    """Octy's command-line client adds the ``cursor`` header to its running cursor, reading
    it as the rows returned (``Octy-ai/octy-cli``,
    ``internal/adapters/secondary/rest/eventtypes.go``); Octy's reference reads it as the
    next position. Either way every row is listed once, in three requests."""
    octy.dialect = Dialect(cursor_header=meaning)
    client.create_items(item(f"item-{n:04}") for n in range(1201))

    listed = [i["item_id"] for i in client.get_items()]

    assert listed == [f"item-{n:04}" for n in range(1201)]
    assert len(list_requests(octy, ITEMS)) == 3


def test_the_cursor_header_is_added_when_it_is_at_most_the_cursor_sent() -> None:
    asked: list[str] = []

    def fetch(cursor: str) -> Page:
        asked.append(cursor)
        start = int(cursor)
        records = full_page(start) if start < 1000 else [{"n": 1000}]
        return Page(records, str(len(records)), 1001)

    assert len(list(paginate(fetch, ITEMS))) == 1001
    assert asked == ["0", "500", "1000"]


def test_ids_with_commas_are_looked_up_one_by_one(client: OctyClient, octy: FakeOcty) -> None:
    """A comma-joined ``?ids=`` list cannot carry an id with a comma; ``?id=`` takes one id,
    as Octy's Shopify integration looks a customer up (``Octy-ai/octy-shopify``,
    ``internal/adapters/framework/secondary/rest/octy_requests.go``)."""
    client.create_profiles([profile("a,b@x.org"), profile("plain"), profile("c")])
    octy.request_log.clear()

    found = client.get_profiles(["a,b@x.org", "plain", "nobody,here"])

    assert sorted(p["customer_id"] for p in found) == ["a,b@x.org", "plain"]
    assert list_requests(octy, "/v1/retention/profiles") == [
        "ids=plain",
        "id=a%2Cb%40x.org",
        "id=nobody%2Chere",
    ]
