"""Read-only admins of the app's own records: error log, push log, alarms, webhook deliveries,
erasures."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern, path
from django.utils.safestring import SafeString

from ..models import Entity, Erasure, PushLog, SyncAlarm, SyncError, WebhookDelivery
from ..sync.resync import MIRRORS
from .dashboard import dashboard_view
from .display import EMPTY, ModelAdminBase, admin_link, external_link, short_text
from .paginator import CappedCountPaginator


class ReadOnlyAdmin(ModelAdminBase):
    """Records written by the sync engine only: people look, nobody edits or deletes."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="error")
    def short_error(self, record: PushLog | WebhookDelivery) -> str:
        """The start of the record's ``error`` text; the change page shows it whole."""
        return short_text(record.error)


@admin.register(SyncError)
class SyncErrorAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "entity",
        "object_link",
        "operation",
        "http_status",
        "short_reason",
        "help_link",
    )
    list_filter = ("entity", "operation", "http_status", "created_at")
    search_fields = ("identifier",)
    ordering = ("-created_at", "-id")
    fields = (
        "created_at",
        "entity",
        "object_link",
        "identifier",
        "operation",
        "http_status",
        "attempt",
        "reason",
        "messages",
        "help_link",
    )
    readonly_fields = fields

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        term = search_term.strip()
        return (queryset.filter(identifier=term) if term else queryset), False

    @admin.display(description="object", ordering="identifier")
    def object_link(self, error: SyncError) -> SafeString | str:
        label = error.identifier or EMPTY
        if error.row_id is None:
            return label
        return admin_link(MIRRORS[Entity(error.entity)], error.row_id, label)

    @admin.display(description="reason")
    def short_reason(self, error: SyncError) -> str:
        return short_text(error.reason)

    @admin.display(description="help")
    def help_link(self, error: SyncError) -> SafeString | str:
        return external_link(error.extended_help, "Octy's help")


@admin.register(PushLog)
class PushLogAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "entity",
        "operation",
        "sent",
        "succeeded",
        "failed",
        "error_status",
        "short_error",
        "duration",
    )
    list_filter = ("entity", "operation", "error_status", "created_at")
    ordering = ("-created_at", "-id")

    def get_urls(self) -> list[URLPattern]:
        dashboard = self.admin_site.admin_view(dashboard_view(self))
        return [path("dashboard/", dashboard, name="django_octy_dashboard"), *super().get_urls()]


@admin.register(SyncAlarm)
class SyncAlarmAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "message", "occurrences", "last_seen_at", "resolved_at")
    list_filter = ("kind", "resolved_at", "created_at")
    ordering = ("-created_at", "-id")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "event", "status", "remote_addr", "short_error")
    list_filter = ("status", "event", "received_at")
    search_fields = ("=event",)
    ordering = ("-received_at", "-id")
    date_hierarchy = "received_at"


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    """When each service confirmed an erasure; nobody can make or edit one by hand."""

    list_display = (
        "requested_at",
        "subject",
        "profile_row",
        "octy_confirmed_at",
        "octopus_row",
        "octopus_confirmed_at",
        "is_complete",
    )
    search_fields = ("=subject",)
    ordering = ("-requested_at", "-id")
    date_hierarchy = "requested_at"

    @admin.display(description="complete", boolean=True)
    def is_complete(self, erasure: Erasure) -> bool:
        return erasure.complete
