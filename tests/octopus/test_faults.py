"""Transient failures: 429 with Retry-After, 5xx, dropped connections, timeouts."""

from __future__ import annotations

from itertools import pairwise

import pytest

from django_octy.http.retrying import MAX_RETRY_AFTER
from django_octy.octopus import (
    OctopusClient,
    OctopusRateLimitError,
    OctopusTransportError,
)
from django_octy.testing import FakeOctopus

from .conftest import ClientFactory, company


def statuses(crm: FakeOctopus, method: str) -> list[int | None]:
    return [entry.status for entry in crm.request_log if entry.method == method]


def test_429_is_retried_after_its_retry_after(client: OctopusClient, crm: FakeOctopus) -> None:
    crm.inject("Create", status=429, retry_after=0.3, times=2)
    client.create_entry(company("A"))
    attempts = [entry for entry in crm.request_log if entry.method == "Create"]
    assert [entry.status for entry in attempts] == [429, 429, 200]
    gaps = [later.started_at - earlier.finished_at for earlier, later in pairwise(attempts)]
    assert all(gap >= 0.3 for gap in gaps)
    assert len(crm.entries) == 1


def test_429_after_the_last_retry_is_raised_with_its_retry_after(
    make_client: ClientFactory, crm: FakeOctopus
) -> None:
    client = make_client(max_retries=1)
    crm.inject("Create", status=429, retry_after=0.1, times=None)
    with pytest.raises(OctopusRateLimitError) as info:
        client.create_entry(company("A"))
    assert (info.value.status, info.value.retry_after, info.value.retryable) == (429, 0.1, True)
    assert statuses(crm, "Create") == [429, 429]
    assert crm.entries == {}


def test_a_retry_after_too_long_to_sleep_is_returned_at_once(
    client: OctopusClient, crm: FakeOctopus
) -> None:
    crm.inject("Create", status=429, retry_after=MAX_RETRY_AFTER + 1)
    with pytest.raises(OctopusRateLimitError) as info:
        client.create_entry(company("A"))
    assert info.value.retry_after == MAX_RETRY_AFTER + 1
    assert statuses(crm, "Create") == [429]


@pytest.mark.parametrize("method", ["Authenticate", "Create"])
def test_server_errors_and_dropped_connections_are_retried(
    client: OctopusClient, crm: FakeOctopus, method: str
) -> None:
    crm.inject(method, status=503)
    crm.inject(method, drop_connection=True)
    client.create_entry(company("A"))
    assert statuses(crm, method) == [503, None, 200]
    assert len(crm.entries) == 1


def test_a_permanent_server_error_is_not_retried(client: OctopusClient, crm: FakeOctopus) -> None:
    client.authenticate()
    crm.inject("Update", status=501)
    with pytest.raises(OctopusTransportError) as info:
        client.update_entry({"Key": "x", "Phone": "1"})
    assert (info.value.status, info.value.retryable) == (501, False)
    assert statuses(crm, "Update") == [501]


def test_faults_match_either_method_style(make_client: ClientFactory, crm: FakeOctopus) -> None:
    client = make_client(method_style="entity")
    crm.inject("Create", status=503)
    crm.inject("AbEntryCreate", status=503)
    client.create_entry(company("A"))
    assert statuses(crm, "Create") == [503, 503, 200]


def test_a_slow_answer_times_out(make_client: ClientFactory, crm: FakeOctopus) -> None:
    client = make_client(timeout=0.2, max_retries=0)
    crm.latency = 0.6
    with pytest.raises(OctopusTransportError, match="Timed out waiting"):
        client.system_info()


def test_an_unreachable_server_is_a_transport_error(crm: FakeOctopus) -> None:
    url = crm.url
    crm.stop()
    client = OctopusClient(url, token="t", allow_insecure=True, max_retries=1)
    with pytest.raises(OctopusTransportError, match="Connection to Octopus failed") as info:
        client.create_entry(company("A"))
    assert info.value.retryable
    client.close()
