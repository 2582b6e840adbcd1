"""Transient and permanent failures over real sockets, with the fake's fault injection."""

from __future__ import annotations

import time

from django_octy.client import (
    OctyAuthError,
    OctyBadRequest,
    OctyClient,
    OctyRateLimited,
    OctyServerError,
    OctyTransportError,
)
from django_octy.testing import FakeOcty

from .conftest import ClientFactory
from .data import profile
from .evidence import raises

AUTHENTICATE = "/v1/account/authenticate"
CREATE_PROFILES = "/v1/retention/profiles/create"


def statuses(octy: FakeOcty) -> list[int | None]:
    return [entry.status for entry in octy.request_log]


def test_retry_after_is_honoured(client: OctyClient, octy: FakeOcty) -> None:
    octy.inject(CREATE_PROFILES, status=429, retry_after=1, times=1)
    started = time.monotonic()
    result = client.create_profiles([profile("patient")])
    elapsed = time.monotonic() - started
    assert [p["customer_id"] for p in result.succeeded] == ["patient"]
    assert statuses(octy) == [429, 201]
    first, second = octy.request_log
    assert second.started_at - first.finished_at >= 1.0
    assert 1.0 <= elapsed < 2.5


def test_rate_limited_after_retries_keeps_retry_after(
    make_client: ClientFactory, octy: FakeOcty
) -> None:
    octy.inject(AUTHENTICATE, status=429, retry_after=0.3, times=None)
    with raises(OctyRateLimited) as info:
        make_client(max_retries=1).authenticate()
    assert info.value.retry_after == 0.3
    assert statuses(octy) == [429, 429]


def test_wrong_keys_401_is_not_retried(make_client: ClientFactory, octy: FakeOcty) -> None:
    client = make_client(secret_key="sk_test_wrong_key", max_retries=3)
    with raises(OctyAuthError) as info:
        client.create_profiles([profile("c1")])
    assert info.value.status == 401
    assert not info.value.retryable
    assert statuses(octy) == [401]
    assert octy.profiles == {}


def test_forbidden_403_is_not_retried(make_client: ClientFactory, octy: FakeOcty) -> None:
    octy.inject(CREATE_PROFILES, status=403, times=None)
    with raises(OctyAuthError) as info:
        make_client(max_retries=3).create_profiles([profile("c1")])
    assert info.value.status == 403
    assert statuses(octy) == [403]


def test_bad_request_is_not_retried(make_client: ClientFactory, octy: FakeOcty) -> None:
    octy.inject(CREATE_PROFILES, status=400, times=None)
    with raises(OctyBadRequest):
        make_client(max_retries=3).create_profiles([profile("c1")])
    assert statuses(octy) == [400]


def test_server_error_is_retried_then_succeeds(make_client: ClientFactory, octy: FakeOcty) -> None:
    octy.inject(CREATE_PROFILES, status=500, times=2)
    result = make_client(max_retries=3).create_profiles([profile("c1")])
    assert statuses(octy) == [500, 500, 201]
    assert [p["customer_id"] for p in result.succeeded] == ["c1"]
    assert list(octy.profiles) == ["c1"]


def test_server_error_after_every_retry_is_raised(
    make_client: ClientFactory, octy: FakeOcty
) -> None:
    octy.inject(AUTHENTICATE, status=503, times=None)
    with raises(OctyServerError) as info:
        make_client(max_retries=2).authenticate()
    assert info.value.status == 503
    assert statuses(octy) == [503, 503, 503]


def test_zero_retries_is_one_attempt(make_client: ClientFactory, octy: FakeOcty) -> None:
    octy.inject(AUTHENTICATE, status=500, times=None)
    with raises(OctyServerError):
        make_client(max_retries=0).authenticate()
    assert statuses(octy) == [500]


def test_dropped_connection_is_retried(client: OctyClient, octy: FakeOcty) -> None:
    octy.inject(CREATE_PROFILES, drop_connection=True, times=1)
    result = client.create_profiles([profile("c1")])
    assert statuses(octy) == [None, 201]
    assert [p["customer_id"] for p in result.succeeded] == ["c1"]


def test_dropped_connection_every_time_is_a_transport_error(
    make_client: ClientFactory, octy: FakeOcty
) -> None:
    octy.inject(AUTHENTICATE, drop_connection=True, times=None)
    with raises(OctyTransportError) as info:
        make_client(max_retries=1).authenticate()
    assert info.value.retryable
    assert statuses(octy) == [None, None]


def test_read_timeout_is_a_transport_error(make_client: ClientFactory, octy: FakeOcty) -> None:
    octy.inject(AUTHENTICATE, delay=1.5, times=1)
    client = make_client(timeout=(1.0, 0.3), max_retries=0)
    started = time.monotonic()
    with raises(OctyTransportError) as info:
        client.authenticate()
    assert time.monotonic() - started < 1.0
    assert str(info.value).startswith("Timed out waiting for Octy's answer")
    assert (info.value.method, info.value.path) == ("GET", AUTHENTICATE)


def test_slow_answer_within_the_timeout_is_fine(make_client: ClientFactory, octy: FakeOcty) -> None:
    octy.latency = 0.2
    make_client(timeout=(1.0, 1.0)).authenticate()
    assert statuses(octy) == [200]


def test_connection_refused_is_a_transport_error(make_client: ClientFactory) -> None:
    with FakeOcty() as gone:
        url = gone.url
    client = make_client(base_url=url, max_retries=0)
    with raises(OctyTransportError) as info:
        client.authenticate()
    assert str(info.value).startswith("Connection to Octy failed")
