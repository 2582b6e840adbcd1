"""A flush pushes what is due when it claims, and leaves changes made meanwhile to the next one.

Chasing them would send a request per change or two while they keep coming.
"""

from __future__ import annotations

from typing import Any

import pytest

from django_octy.models import HostChange, Profile
from django_octy.signals import pre_push
from django_octy.sync.flush import flush_all
from django_octy.sync.pending import outstanding
from django_octy.testing import FakeOcty
from tests.shop.models import Customer

pytestmark = pytest.mark.django_db


def test_a_change_saved_during_the_last_batch_waits_for_the_next_flush(
    octy: FakeOcty, settings: Any
) -> None:
    settings.OCTY = {**settings.OCTY, "BATCH_SIZE": 3}
    early = [Customer.objects.create(email=f"early{i}@example.com") for i in range(4)]
    late: list[Customer] = []

    def save_during_push(**_: Any) -> None:
        late.append(Customer.objects.create(email=f"late{len(late)}@example.com"))

    pre_push.connect(save_during_push, sender=Profile, weak=False)
    try:
        first = flush_all()
    finally:
        pre_push.disconnect(save_during_push, sender=Profile)

    # Batch 1: three early ones (full, so the flush goes on); batch 2: the fourth one
    # (not full: the flush stops). The customers saved meanwhile wait in the change log,
    # which the flush folded before its first claim.
    assert (first.of("profile").requests, first.of("profile").sent) == (2, 4)
    assert set(octy.profiles) == {str(c.pk) for c in early}
    assert not outstanding(Profile).exists()
    assert sorted(HostChange.objects.values_list("object_id", flat=True)) == sorted(
        str(c.pk) for c in late
    )

    second = flush_all()

    assert (second.of("profile").requests, second.of("profile").sent) == (1, 2)
    assert set(octy.profiles) == {str(c.pk) for c in [*early, *late]}
    assert not outstanding(Profile).exists()
