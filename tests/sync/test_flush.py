"""The flush engine over real HTTP against the fake Octy, called from plain Python."""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from django_octy.client import OctyClient
from django_octy.models import (
    Event,
    EventType,
    HostChange,
    Item,
    MessageTemplate,
    Profile,
    PushLog,
    Segment,
    SyncAlarm,
    SyncError,
    SyncState,
)
from django_octy.signals import post_push, pre_push, push_failed
from django_octy.sync.apply import apply
from django_octy.sync.claim import claim
from django_octy.sync.flush import FlushSummary, flush_all
from django_octy.sync.folding import fold_changes
from django_octy.sync.handlers.octy import ProfileHandler
from django_octy.sync.pending import outstanding, requeue_failed, seconds_until_due
from django_octy.sync.recording import track
from django_octy.testing import FakeOcty
from django_octy.testing.dialect import Dialect
from tests.client.data import profile
from tests.shop.models import Customer, Product

from .conftest import requests_to

CREATE_PROFILES = "/v1/retention/profiles/create"
UPDATE_PROFILES = "/v1/retention/profiles/update"
CREATE_EVENTS = "/v1/retention/events/create/batch"

pytestmark = pytest.mark.django_db


def customers(count: int, start: int = 0) -> list[Customer]:
    return [
        Customer.objects.create(email=f"c{i}@example.com", first_name=f"n{i}")
        for i in range(start, start + count)
    ]


def settle(rounds: int = 60) -> FlushSummary:
    """Flush until nothing is outstanding (waiting out the backoffs in between)."""
    summary = FlushSummary()
    for _ in range(rounds):
        summary = flush_all()
        wait = seconds_until_due()
        if wait is None:
            return summary
        time.sleep(wait)
    pytest.fail("Rows still outstanding after many flushes")


def sent_customer_ids(octy: FakeOcty, path: str) -> Counter[str]:
    """How often each customer_id went out in an answered 2xx request to ``path``."""
    return Counter(
        profile["customer_id"]
        for entry in requests_to(octy, path)
        if entry.status is not None and entry.status < 300
        for profile in entry.body["profiles"]
    )


def test_profiles_are_created_updated_and_deleted(octy: FakeOcty) -> None:
    ann, bob = customers(2)

    summary = flush_all()
    assert summary.of("profile").created == 2
    ann_row = Profile.objects.get(customer_id=str(ann.pk))
    assert ann_row.state == SyncState.SYNCED
    assert ann_row.octy_id == octy.profiles[str(ann.pk)]["profile_id"]
    assert ann_row.synced_version == ann_row.version == 1
    assert ann_row.remote["customer_id"] == str(ann.pk)

    ann.city = "Oslo"
    ann.save()
    bob_id = str(bob.pk)
    bob.delete()
    summary = flush_all()

    assert (summary.of("profile").updated, summary.of("profile").deleted) == (1, 1)
    assert octy.profiles[str(ann.pk)]["profile_data"]["city"] == "Oslo"
    assert bob_id not in octy.profiles
    bob_row = Profile.objects.get(customer_id=bob_id)
    assert (bob_row.state, bob_row.octy_id) == (SyncState.DELETED, None)
    assert flush_all().total("sent") == 0


def test_ten_saves_before_a_flush_are_one_object_in_one_request(octy: FakeOcty) -> None:
    (ann,) = customers(1)
    for city in range(10):
        ann.city = f"city {city}"
        ann.save()

    flush_all()

    assert [entry.objects for entry in requests_to(octy, CREATE_PROFILES)] == [1]
    assert octy.profiles[str(ann.pk)]["profile_data"]["city"] == "city 9"
    assert Profile.objects.get().version == 1  # ten changes in the log, one mirror write


def test_an_edit_during_a_push_is_pushed_again(octy: FakeOcty, transactional_db: None) -> None:
    (ann,) = customers(1)
    octy.inject(CREATE_PROFILES, delay=1.0)

    def flush_in_thread() -> None:
        try:
            flush_all()
        finally:
            connection.close()

    flusher = threading.Thread(target=flush_in_thread)
    flusher.start()
    time.sleep(0.5)  # the create is in flight
    ann.city = "Bergen"
    ann.save()
    fold_changes()  # as another flusher would, while the create is still in flight
    flusher.join()

    row = Profile.objects.get()
    assert (row.state, row.version, row.synced_version) == (SyncState.PENDING, 2, 1)
    assert row.octy_id is not None
    assert "city" not in octy.profiles[str(ann.pk)]["profile_data"] or (
        octy.profiles[str(ann.pk)]["profile_data"]["city"] == ""
    )

    flush_all()
    row.refresh_from_db()
    assert (row.state, row.synced_version) == (SyncState.SYNCED, 2)
    assert octy.profiles[str(ann.pk)]["profile_data"]["city"] == "Bergen"


def test_objects_octy_rejects_fail_alone(octy: FakeOcty) -> None:
    everyone = customers(500)
    rejected = [str(c.pk) for c in everyone[10:13]]
    for customer_id in rejected:
        octy.reject_object(customer_id, f"Profile {customer_id} is not welcome")

    summary = flush_all()

    assert [entry.objects for entry in requests_to(octy, CREATE_PROFILES)] == [500]
    assert (summary.of("profile").created, summary.of("profile").failed) == (497, 3)
    assert Profile.objects.filter(state=SyncState.SYNCED).count() == 497
    failed = Profile.objects.filter(state=SyncState.FAILED).order_by("pk")
    assert [row.customer_id for row in failed] == rejected
    errors = SyncError.objects.order_by("row_id")
    assert [(e.identifier, e.reason, e.operation) for e in errors] == [
        (customer_id, f"Profile {customer_id} is not welcome", "create") for customer_id in rejected
    ]
    assert len(octy.profiles) == 497


def test_a_create_of_an_existing_profile_adopts_it(octy: FakeOcty) -> None:
    (ann,) = customers(1)
    with OctyClient(octy.public_key, octy.secret_key, octy.url, allow_insecure=True) as client:
        existing = client.create_profiles([profile(str(ann.pk))]).succeeded[0]

    flush_all()

    row = Profile.objects.get()
    assert (row.state, row.octy_id) == (SyncState.SYNCED, existing["profile_id"])
    assert octy.profiles[str(ann.pk)]["profile_data"]["first_name"] == "n0"
    assert len(requests_to(octy, UPDATE_PROFILES)) == 1


def test_events_wait_for_their_profile(octy: FakeOcty) -> None:
    (ann,) = customers(1)
    octy.inject(CREATE_PROFILES, status=503, times=1)
    track(ann, "charged", {"item_id": "TEA", "payment_method": "card"})

    flush_all()
    event = Event.objects.get()
    assert (event.state, event.attempts) == (SyncState.PENDING, 0)
    assert requests_to(octy, CREATE_EVENTS) == []
    assert Profile.objects.get().attempts == 1

    settle()
    event.refresh_from_db()
    assert event.state == SyncState.SYNCED
    assert [e["event_id"] for e in octy.events] == [event.octy_id]


def test_a_declared_event_type_is_created_before_its_events(octy: FakeOcty) -> None:
    (ann,) = customers(1)
    EventType.objects.create(event_type="login", event_properties=["device"])
    track(ann, "login", {"device": "ios"})

    flush_all()

    assert octy.event_types["login"]["event_properties"] == ["device"]
    assert Event.objects.get().state == SyncState.SYNCED
    paths = [entry.path for entry in octy.request_log]
    assert paths.index("/v1/retention/events/types/create") < paths.index(CREATE_EVENTS)
    # The shop declares the built-in "charged" type too: Octy has it, so it is adopted.
    charged = EventType.objects.get(event_type="charged")
    assert (charged.state, charged.octy_id) == (
        SyncState.SYNCED,
        octy.event_types["charged"]["event_type_id"],
    )


def test_an_undeclared_unknown_event_type_fails_clearly(octy: FakeOcty) -> None:
    (ann,) = customers(1)
    track(ann, "mystery", {"x": 1})

    flush_all()

    event = Event.objects.get()
    assert event.state == SyncState.FAILED
    assert "Unknown event type 'mystery'" in event.last_error
    assert "event type 'mystery' is not declared in this project" in event.last_error
    assert SyncError.objects.get(entity="event").identifier == f"mystery of customer {ann.pk}"


def test_keys_octy_refuses_stop_the_flush_with_one_alarm(octy: FakeOcty) -> None:
    customers(3)
    Product.objects.create(sku="TEA", name="Tea", category="drinks", price=Decimal(1))
    octy.inject("/v1/retention", status=401, times=None)

    first = flush_all()
    second = flush_all()

    assert "HTTP 401" in first.stopped and second.stopped
    assert len(octy.request_log) == 2  # one request per flush, then it stops
    alarm = SyncAlarm.objects.get()
    assert (alarm.kind, alarm.occurrences, alarm.is_open) == ("auth", 2, True)
    assert octy.secret_key not in alarm.message
    rows = Profile.objects.all()
    assert {(r.state, r.attempts, r.lease_token) for r in rows} == {(SyncState.PENDING, 0, None)}
    assert Item.objects.get().state == SyncState.PENDING
    assert not SyncError.objects.exists()

    octy.faults.clear()
    flush_all()
    assert Profile.objects.filter(state=SyncState.SYNCED).count() == 3
    alarm.refresh_from_db()
    assert not alarm.is_open


def test_a_storm_of_transient_failures_loses_nothing_and_sends_nothing_twice(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 50, "MAX_ATTEMPTS": 30}
    everyone = customers(600)
    octy.inject_random("/v1/retention", rate=0.3, statuses=(500, 429), retry_after=0.05, seed=7)

    settle()

    assert Profile.objects.filter(state=SyncState.SYNCED).count() == 600
    created = sent_customer_ids(octy, CREATE_PROFILES)
    assert set(created) == {str(c.pk) for c in everyone}
    assert max(created.values()) == 1
    refused = [e for e in requests_to(octy, CREATE_PROFILES) if e.status in (500, 429)]
    assert refused, "the storm should have hit some requests"
    logged = PushLog.objects.filter(entity="profile", error_status__in=(500, 429)).count()
    assert logged == len(refused)


def test_a_batch_refused_as_a_whole_is_split_to_isolate_the_culprit(octy: FakeOcty) -> None:
    everyone = customers(4)
    # The whole batch, its first half, and that half's first object are refused.
    octy.inject(CREATE_PROFILES, status=400, times=3)

    summary = flush_all()

    pushes = PushLog.objects.filter(entity="profile").order_by("pk")
    assert [(p.sent, p.error_status) for p in pushes] == [
        (4, 400),
        (2, 400),
        (1, 400),
        (1, None),
        (2, None),
    ]
    assert len(requests_to(octy, CREATE_PROFILES)) == summary.of("profile").requests == 5
    states = dict(Profile.objects.values_list("customer_id", "state"))
    assert states == {
        str(everyone[0].pk): SyncState.FAILED,
        **{str(c.pk): SyncState.SYNCED for c in everyone[1:]},
    }
    assert SyncError.objects.get().http_status == 400


def test_a_payload_too_large_is_split(octy: FakeOcty) -> None:
    customers(10)
    octy.inject(CREATE_PROFILES, status=413, times=1)

    flush_all()

    pushes = PushLog.objects.filter(entity="profile").order_by("pk")
    assert [(p.sent, p.error_status) for p in pushes] == [(10, 413), (5, None), (5, None)]
    assert Profile.objects.filter(state=SyncState.SYNCED).count() == 10


def test_an_expired_lease_lets_another_flusher_take_over(octy: FakeOcty, settings: Any) -> None:
    customers(3)
    fold_changes()
    stale = claim(Profile, 500)  # a flusher that then died
    assert stale is not None

    assert flush_all().of("profile").sent == 0  # the lease holds

    Profile.objects.update(leased_until="2000-01-01T00:00:00Z")
    assert flush_all().of("profile").created == 3

    # The first flusher wakes up: its outcomes no longer count.
    applied = apply(ProfileHandler(None), stale, {}, {}, [])  # type: ignore[arg-type]
    assert (applied.rows, applied.lost_leases) == (0, 3)
    assert set(Profile.objects.values_list("state", flat=True)) == {SyncState.SYNCED}


def test_rows_are_dead_lettered_after_max_attempts_and_can_be_requeued(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "MAX_ATTEMPTS": 3}
    customers(2)
    octy.inject(CREATE_PROFILES, status=500, times=None)

    settle()

    rows = Profile.objects.all()
    assert {(r.state, r.attempts) for r in rows} == {(SyncState.FAILED, 3)}
    assert len(requests_to(octy, CREATE_PROFILES)) == 3
    assert all(r.last_error.startswith("Gave up after 3 attempts") for r in rows)
    assert SyncError.objects.filter(reason__startswith="Gave up after 3 attempts").count() == 2

    octy.faults.clear()
    assert requeue_failed(Profile.objects.all()) == 2
    flush_all()
    assert set(Profile.objects.values_list("state", flat=True)) == {SyncState.SYNCED}


def test_sync_disabled_records_but_sends_nothing(octy: FakeOcty, settings: Any) -> None:
    settings.OCTY = {**settings.OCTY, "SYNC_ENABLED": False}
    customers(2)

    summary = flush_all()

    assert summary.disabled
    assert HostChange.objects.count() == 2
    assert octy.request_log == []


def test_definitions_are_pushed(octy: FakeOcty) -> None:
    EventType.objects.create(event_type="login", event_properties=[])
    segment = Segment.objects.create(
        segment_name="fast paying customers",
        segment_type="live",
        segment_sub_type=2,
        segment_timeframe=1,
        event_sequence=[
            {"event_type": "login", "exp_timeframe": 5, "action_inaction": "action"},
            {"event_type": "charged", "exp_timeframe": 5, "action_inaction": "action"},
        ],
    )
    template = MessageTemplate.objects.create(
        friendly_name="Hello",
        template_type="email",
        title="Hi {first_name}",
        content="{greeting} {first_name}",
        required_data=["first_name", "greeting"],
        default_values={"greeting": "Hello"},
    )

    flush_all()

    segment.refresh_from_db()
    template.refresh_from_db()
    assert segment.state == SyncState.SYNCED, segment.last_error
    assert octy.segments["fast paying customers"]["segment_id"] == segment.octy_id
    assert template.state == SyncState.SYNCED, template.last_error
    assert octy.templates[template.octy_id]["friendly_name"] == "Hello"

    template.title = "Welcome {first_name}"
    template.save()
    segment.segment_timeframe = 2
    segment.save()
    flush_all()

    assert octy.templates[template.octy_id]["title"] == "Welcome {first_name}"
    segment.refresh_from_db()
    assert segment.state == SyncState.FAILED
    assert "cannot change a segment once created" in segment.last_error


def test_push_signals_are_sent(octy: FakeOcty) -> None:
    customers(2)
    octy.inject(CREATE_PROFILES, status=503, times=1)
    seen: list[tuple[str, str, int]] = []

    def receiver(signal_name: str) -> Any:
        def receive(sender: Any, entity: str, operation: str, rows: Any, **kwargs: Any) -> None:
            seen.append((signal_name, operation, len(rows)))

        return receive

    receivers = {name: receiver(name) for name in ("pre", "post", "failed")}
    pre_push.connect(receivers["pre"], sender=Profile)
    post_push.connect(receivers["post"], sender=Profile)
    push_failed.connect(receivers["failed"], sender=Profile)
    try:
        settle()
    finally:
        pre_push.disconnect(receivers["pre"], sender=Profile)
        post_push.disconnect(receivers["post"], sender=Profile)
        push_failed.disconnect(receivers["failed"], sender=Profile)

    assert seen == [
        ("pre", "create", 2),
        ("failed", "create", 2),
        ("pre", "create", 2),
        ("post", "create", 2),
    ]
    assert outstanding(Profile).count() == 0


def test_a_deletion_sends_only_what_octy_has(octy: FakeOcty) -> None:
    ann, bob = customers(2)
    flush_all()
    bob_profile_id = octy.profiles[str(bob.pk)]["profile_id"]
    # A row whose create was in flight when its object went: Octy never had it.
    Profile.objects.create(customer_id="ghost")
    Profile.objects.filter(customer_id="ghost").update(state=SyncState.DELETE_PENDING)
    bob.delete()

    flush_all()

    deletes = requests_to(octy, "/v1/retention/profiles/delete")
    assert [entry.body["profile_ids"] for entry in deletes] == [[bob_profile_id]]
    assert set(
        Profile.objects.exclude(customer_id=str(ann.pk)).values_list("state", flat=True)
    ) == {SyncState.DELETED}


def test_profiles_never_go_out_with_an_empty_object(octy: FakeOcty) -> None:
    """Octy requires at least one key/value pair in ``profile_data`` and ``platform_info``
    (Octy's API reference, https://api-docs.octy.ai/, as quoted in octy-api.md); the fake
    refuses an empty one. The shop's source declares only ``profile_data_fields``, as
    docs/installation.md shows; an anonymous profile made by ``track()`` has no data at all.
    """
    ann = Customer.objects.create(email="ann@example.com", first_name="Ann")
    track("anon-7", "charged", {"item_id": "sku-1", "payment_method": "card"})

    summary = flush_all()

    assert summary.total("failed") == 0
    assert Profile.objects.get(customer_id=str(ann.pk)).platform_info == {"platform": "django"}
    sent = [p for entry in requests_to(octy, CREATE_PROFILES) for p in entry.body["profiles"]]
    assert sent and all(p["profile_data"] and p["platform_info"] for p in sent)
    assert octy.profiles["anon-7"]["profile_data"] == {"platform": "django"}
    assert octy.profiles[str(ann.pk)]["platform_info"] == {"platform": "django"}


def test_a_built_in_event_type_is_adopted_whatever_octys_refusal_says(octy: FakeOcty) -> None:
    """Octy has ``charged`` built in (octy-api.md; ``Octy-ai/octy-cli``,
    ``examples/upload_cmd_csvs/events.csv`` uploads ``charged`` events without declaring
    the type) and refuses to create it again, in words of its own: the type is looked up by
    name and adopted, and the events waiting on it go out."""
    (ann,) = customers(1)
    octy.inject("/v1/retention/events/types/create", reject={"charged": "Reserved name"})
    track(ann, "charged", {"item_id": "TEA", "payment_method": "card"})

    flush_all()

    charged = EventType.objects.get(event_type="charged")
    assert (charged.state, charged.octy_id) == (
        SyncState.SYNCED,
        octy.event_types["charged"]["event_type_id"],
    )
    assert Event.objects.get().state == SyncState.SYNCED
    assert [e["event_type"] for e in octy.events] == ["charged"]


def test_a_refused_create_of_an_object_octy_lacks_keeps_octys_refusal(octy: FakeOcty) -> None:
    """The lookup after a refusal adopts only what Octy has; a 400 "none found" (Octy's
    answer to a lookup that finds nothing, octy-api.md) leaves the refusal standing."""
    octy.inject("/v1/retention/items/create", reject={"sku-9": "Item name too long"})
    Product.objects.create(sku="sku-9", name="Nine", category="shoes", price=Decimal("1.00"))

    flush_all()

    row = Item.objects.get(item_id="sku-9")
    assert (row.state, row.last_error) == (SyncState.FAILED, "Item name too long")


def test_a_failure_keyed_identifier_fails_its_row_instead_of_retrying_it(
    octy: FakeOcty,
) -> None:
    """Octy's reference page names a refused object ``identifier``, not by the entity's own
    key as ``Octy-ai/octy-cli`` (``internal/adapters/secondary/rest/models/items.go``) reads
    it: the row fails with Octy's message at once, its batch-mates are synced."""
    octy.dialect = Dialect(failure_key="identifier")
    octy.inject("/v1/retention/items/create", reject={"sku-2": "Price out of range"})
    for n in (1, 2):
        Product.objects.create(sku=f"sku-{n}", name="P", category="c", price=Decimal("1.00"))

    flush_all()

    rows = {row.item_id: (row.state, row.last_error) for row in Item.objects.all()}
    assert rows == {
        "sku-1": (SyncState.SYNCED, ""),
        "sku-2": (SyncState.FAILED, "Price out of range"),
    }


def test_a_customer_id_with_a_comma_that_octy_has_is_adopted(octy: FakeOcty) -> None:
    """A comma-joined ``?ids=`` lookup splits ``a,b@x.org`` in two; looked up alone with
    ``?id=`` (as ``Octy-ai/octy-shopify``,
    ``internal/adapters/framework/secondary/rest/octy_requests.go``, looks a customer up),
    the profile Octy already has is found and adopted instead of failing."""
    with OctyClient(octy.public_key, octy.secret_key, octy.url, allow_insecure=True) as client:
        (existing,) = client.create_profiles([profile("a,b@x.org")]).succeeded
    Profile.objects.create(
        customer_id="a,b@x.org", profile_data={"city": "Oslo"}, platform_info={"os": "ios"}
    )

    flush_all()

    row = Profile.objects.get()
    assert (row.state, row.octy_id) == (SyncState.SYNCED, existing["profile_id"])
    assert octy.profiles["a,b@x.org"]["profile_data"] == {"city": "Oslo"}


def test_a_configuration_alarm_closes_once_the_setting_is_fixed(
    octy: FakeOcty, settings: Any
) -> None:
    """The walk of docs/testing.md without ALLOW_INSECURE_BASE_URL, then with it.

    The alarm says the settings cannot make a client: it is over as soon as they can,
    before any push goes through (there may be nothing left to push).
    """
    settings.OCTY = {**settings.OCTY, "ALLOW_INSECURE_BASE_URL": False}
    customers(1)

    stopped = flush_all()

    alarm = SyncAlarm.objects.get()
    assert (alarm.kind, alarm.is_open) == ("configuration", True)
    assert 'OCTY["ALLOW_INSECURE_BASE_URL"] = True' in alarm.message == stopped.stopped
    settings.OCTY = {**settings.OCTY, "ALLOW_INSECURE_BASE_URL": True}
    open_at_pushes: list[bool] = []

    def record(**kwargs: Any) -> None:
        open_at_pushes.append(SyncAlarm.objects.filter(resolved_at__isnull=True).exists())

    pre_push.connect(record)
    try:
        summary = flush_all()
    finally:
        pre_push.disconnect(record)

    assert not summary.stopped
    assert open_at_pushes and not any(open_at_pushes)
    alarm.refresh_from_db()
    assert not alarm.is_open
