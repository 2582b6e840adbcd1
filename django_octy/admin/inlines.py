"""Read-only inlines that show, on a host model's change page, how its object is synced.

Add them to your own ``ModelAdmin``::

    from django_octy.admin import octy_sync_inlines

    @admin.register(Customer)
    class CustomerAdmin(admin.ModelAdmin):
        inlines = [*octy_sync_inlines(Customer)]
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.admin import GenericTabularInline
from django.db import models
from django.http import HttpRequest
from django.utils.safestring import SafeString

from ..models import Entity, Event, Item, Profile, SyncedObject
from ..sync.registry import autodiscover, registry
from .display import admin_link, short_text, state_badge


class OctySyncInline(GenericTabularInline):
    """The mirror rows of one host object: Octy id, state, last sync, attempts, last error."""

    ct_field = "source_type"
    ct_fk_field = "source_id"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("row", "octy_id", "sync_state", "last_synced_at", "attempts", "error")
    readonly_fields = fields
    template = "admin/edit_inline/tabular.html"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")

    def row(self, row: SyncedObject) -> SafeString | str:
        return admin_link(type(row), row.pk, row)

    def sync_state(self, row: SyncedObject) -> SafeString:
        return state_badge(row.state)

    def error(self, row: SyncedObject) -> str:
        return short_text(row.last_error)


class ProfileSyncInline(OctySyncInline):
    model = Profile
    verbose_name = verbose_name_plural = "Octy profile"


class ItemSyncInline(OctySyncInline):
    model = Item
    verbose_name = verbose_name_plural = "Octy item"


class EventSyncInline(OctySyncInline):
    model = Event
    verbose_name = "Octy event"
    verbose_name_plural = "Octy events"


INLINES: dict[Entity, type[OctySyncInline]] = {
    Entity.PROFILE: ProfileSyncInline,
    Entity.ITEM: ItemSyncInline,
    Entity.EVENT: EventSyncInline,
}


def octy_sync_inlines(model: type[models.Model]) -> list[type[OctySyncInline]]:
    """The sync inlines of every source registered for ``model``."""
    # The admin imports admin modules before this app's ready() imports the octy modules
    # (when django.contrib.admin comes first in INSTALLED_APPS): import them now.
    autodiscover()
    return [INLINES[s.entity] for s in registry.sources_for(model) if s.entity in INLINES]
