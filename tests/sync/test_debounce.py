"""The adaptive debounce: at once when quiet, longer waits while commits keep coming, bounded.

The decision (``Debounce.countdown``) is tested with a made-up clock; the last
test runs a trickle of saves through a real worker and counts the requests.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from django_octy.models import HostChange, Profile, SyncState
from django_octy.sync.scheduling import Debounce
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

from .conftest import requests_to, wait_until

DELAY = 1.0
MAX_WAIT = 4.0
BATCH = 500


def ask(debounce: Debounce, now: float, batch_size: int = BATCH) -> float | None:
    return debounce.countdown(now, DELAY, MAX_WAIT, batch_size)


def test_the_first_commit_after_a_quiet_spell_is_flushed_at_once() -> None:
    debounce = Debounce()
    assert ask(debounce, 100.0) == 0.0
    assert ask(debounce, 100.0 + DELAY) == 0.0, "quiet for FLUSH_DELAY since the last flush ran"


def test_while_commits_keep_coming_each_flush_waits_twice_as_long_up_to_the_bound() -> None:
    debounce = Debounce()
    sent: list[tuple[float, float]] = []
    now = 0.0
    while now < 30.0:
        countdown = ask(debounce, now)
        if countdown is not None:
            sent.append((now, countdown))
        now = round(now + 0.1, 1)

    assert sent[:5] == [(0.0, 0.0), (0.1, 1.0), (1.1, 2.0), (3.1, 4.0), (7.1, 4.0)]
    assert [at for at, _wait in sent[5:]] == [11.1, 15.1, 19.1, 23.1, 27.1]
    assert {wait for _at, wait in sent[4:]} == {MAX_WAIT}, "one flush per MAX_WAIT, not a commit"


def test_commits_before_the_flush_runs_are_covered_by_it() -> None:
    debounce = Debounce()
    assert ask(debounce, 0.0) == 0.0
    assert ask(debounce, 0.5) == DELAY
    assert ask(debounce, 1.0) is None
    assert ask(debounce, 1.49) is None
    assert ask(debounce, 1.5) == 2 * DELAY, "due at 1.5: the next commit needs a flush of its own"


def test_a_pause_shorter_than_the_delay_keeps_the_longer_wait() -> None:
    debounce = Debounce()
    ask(debounce, 0.0)
    ask(debounce, 0.1)  # waits 1 s, due at 1.1
    assert ask(debounce, 1.1 + DELAY - 0.01) == 2 * DELAY
    assert ask(debounce, 1.09 + 3 * DELAY + DELAY) == 0.0, "quiet again: at once"


def test_a_full_batch_of_commits_goes_at_once_beside_the_flush_on_its_way() -> None:
    debounce = Debounce()
    ask(debounce, 0.0, batch_size=3)
    assert ask(debounce, 0.1, batch_size=3) == DELAY  # due at 1.1
    assert [ask(debounce, 0.2, batch_size=3), ask(debounce, 0.3, batch_size=3)] == [None, None]
    assert ask(debounce, 0.4, batch_size=3) == 0.0
    assert ask(debounce, 0.5, batch_size=3) is None, "the flush due at 1.1 still covers it"


def test_a_bound_below_the_delay_is_the_delay() -> None:
    debounce = Debounce()
    debounce.countdown(0.0, 2.0, 1.0, BATCH)
    assert debounce.countdown(0.1, 2.0, 1.0, BATCH) == 2.0
    assert debounce.countdown(2.2, 2.0, 1.0, BATCH) == 2.0


TRICKLE_SAVES = 100
TRICKLE_SECONDS = 5.0


@pytest.mark.django_db(transaction=True)
def test_a_trickle_of_saves_costs_a_few_flushes_and_every_change_arrives(
    worker: Any, octy: FakeOcty, settings: Any
) -> None:
    """100 saves over 5 s: a fixed 0.3 s debounce sent a flush every 0.3 s or so."""
    settings.OCTY = {**settings.OCTY, "FLUSH_DELAY": 0.3, "FLUSH_MAX_WAIT": 2.0}
    customers = []
    for number in range(TRICKLE_SAVES):
        customers.append(Customer.objects.create(email=f"c{number}@example.com"))
        time.sleep(TRICKLE_SECONDS / TRICKLE_SAVES)

    wait_until(
        lambda: (
            not HostChange.objects.exists()
            and not Profile.objects.exclude(state=SyncState.SYNCED).exists()
        ),
        what="every change synced",
    )
    creates = requests_to(octy, "/v1/retention/profiles/create")
    received = [profile["customer_id"] for entry in creates for profile in entry.body["profiles"]]
    assert sorted(received) == sorted(str(customer.pk) for customer in customers)
    # at once, then waits of 0.3, 0.6, 1.2, 2 and 2 s: about 6 flushes over 5 s
    assert len(creates) <= 10, [entry.objects for entry in creates]
