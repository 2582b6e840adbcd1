"""Upgrading across migration 0008 (the change log): rows pending before it are pushed after it.

Under the change log, pending mirror rows are still exactly what a flush
pushes, so 0008 only adds the log's table and carries every mirror row over
as it is. The rows are written with the models of 0007, as an installation
of the version before left them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F

from django_octy import requeue_failed
from django_octy.models import HostChange, Item, Profile, SyncState
from django_octy.sync.flush import flush_all
from django_octy.testing import FakeOcty
from tests.sync.conftest import octy

__all__ = ["octy"]

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_LOG = ("django_octy", "0007_create_sent")


def migrate(target: tuple[str, str]) -> Apps:
    """Migrate django_octy to ``target``; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def latest() -> tuple[str, str]:
    (leaf,) = MigrationExecutor(connection).loader.graph.leaf_nodes("django_octy")
    return leaf


@pytest.fixture
def migrated_back() -> Iterator[None]:
    """Leaves the database at the latest migration, as the other tests expect it."""
    try:
        yield
    finally:
        migrate(latest())


def write_rows_of_the_version_before(apps: Apps) -> None:
    """A pending profile (changed three times), a failed one, and a synced item whose
    host object was deleted since: delete pending."""
    profile, item = apps.get_model("django_octy", "Profile"), apps.get_model("django_octy", "Item")
    profile.objects.create(customer_id="ann", profile_data={"city": "Oslo"}, version=3)
    profile.objects.create(
        customer_id="bad",
        profile_data={"city": "Nowhere"},
        state=SyncState.FAILED,
        attempts=8,
        last_error="Octy was down for too long",
    )
    item.objects.filter(item_id="tent").update(
        state=SyncState.DELETE_PENDING, deletion_requested=True, version=F("version") + 1
    )


def test_rows_pending_before_the_change_log_are_pushed_after_it(
    octy: FakeOcty, migrated_back: None
) -> None:
    Item.objects.create(item_id="tent", item_category="camp", item_name="Tent")
    flush_all()  # Octy holds the tent
    assert "tent" in octy.items
    synced_version = Item.objects.get(item_id="tent").version
    apps = migrate(BEFORE_THE_LOG)
    assert "django_octy_hostchange" not in connection.introspection.table_names()

    write_rows_of_the_version_before(apps)
    migrate(latest())

    assert not HostChange.objects.exists()
    ann, bad = Profile.objects.get(customer_id="ann"), Profile.objects.get(customer_id="bad")
    tent = Item.objects.get(item_id="tent")
    assert (ann.state, ann.version) == (SyncState.PENDING, 3)
    assert (bad.state, bad.attempts, bad.last_error) == (
        SyncState.FAILED,
        8,
        "Octy was down for too long",
    )
    assert (tent.state, tent.version, tent.deletion_requested) == (
        SyncState.DELETE_PENDING,
        synced_version + 1,
        True,
    )

    flush_all()

    assert octy.profiles["ann"]["profile_data"] == {"city": "Oslo"}
    assert "tent" not in octy.items
    ann.refresh_from_db()
    assert (ann.state, ann.synced_version) == (SyncState.SYNCED, 3)
    assert Item.objects.get(item_id="tent").state == SyncState.DELETED
    assert Profile.objects.get(customer_id="bad").state == SyncState.FAILED, "a dead letter waits"

    requeue_failed(Profile.objects.all())
    flush_all()
    assert "bad" in octy.profiles
    assert Profile.objects.get(customer_id="bad").state == SyncState.SYNCED
