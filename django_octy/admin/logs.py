"""Read-only admins of the app's own records: error log, push log, alarms, webhook deliveries,
erasures."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.http import HttpRequest
from django.utils.safestring import SafeString

from ..models import Entity, Erasure, PushLog, SyncAlarm, SyncError, WebhookDelivery
from ..sync.resync import MIRRORS
from .display import (
    EMPTY,
    ViewOnlyAdmin,
    admin_link,
    bullet_list,
    external_link,
    long_text,
    short_text,
    time_ago,
)
from .paginator import CappedCountPaginator


class ReadOnlyAdmin(ViewOnlyAdmin):
    """Records written by the sync engine only: people look, nobody edits or deletes."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    date_hierarchy = "created_at"

    class Media:
        css: ClassVar[dict[str, tuple[str, ...]]] = {"all": ("django_octy/admin.css",)}

    @admin.display(description="error")
    def short_error(self, record: PushLog | WebhookDelivery) -> SafeString | str:
        """The start of the record's ``error`` text; the change page shows it whole."""
        return short_text(record.error)

    @admin.display(description="when", ordering="created_at")
    def created(self, record: SyncError | PushLog | SyncAlarm) -> SafeString | str:
        return time_ago(record.created_at)


@admin.register(SyncError)
class SyncErrorAdmin(ReadOnlyAdmin):
    list_display = (
        "created",
        "entity",
        "object_link",
        "operation",
        "status",
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
        "message_list",
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
    def short_reason(self, error: SyncError) -> SafeString | str:
        return short_text(error.reason)

    @admin.display(description="HTTP", ordering="http_status")
    def status(self, error: SyncError) -> object:
        return error.http_status or EMPTY

    @admin.display(description="messages")
    def message_list(self, error: SyncError) -> SafeString | str:
        """Each message Octy (or the mapping) gave, as a list item."""
        if not error.messages:
            return EMPTY
        return bullet_list(error.messages)

    @admin.display(description="help")
    def help_link(self, error: SyncError) -> SafeString | str:
        return external_link(error.extended_help, "Octy's help")


@admin.register(PushLog)
class PushLogAdmin(ReadOnlyAdmin):
    list_display = (
        "created",
        "entity",
        "operation",
        "sent",
        "accepted",
        "refused",
        "http_status",
        "short_error",
        "took",
    )
    list_filter = ("entity", "operation", "error_status", "created_at")
    ordering = ("-created_at", "-id")

    @admin.display(description="ok", ordering="succeeded")
    def accepted(self, push: PushLog) -> int:
        return push.succeeded

    @admin.display(description="refused", ordering="failed")
    def refused(self, push: PushLog) -> int:
        return push.failed

    @admin.display(description="HTTP", ordering="error_status")
    def http_status(self, push: PushLog) -> object:
        return push.error_status or EMPTY

    @admin.display(description="took", ordering="duration")
    def took(self, push: PushLog) -> str:
        return f"{push.duration:.1f}\N{NO-BREAK SPACE}s"


@admin.register(SyncAlarm)
class SyncAlarmAdmin(ReadOnlyAdmin):
    list_display = ("created", "kind", "message", "occurrences", "last_seen", "resolved")
    list_filter = ("kind", "resolved_at", "created_at")
    ordering = ("-created_at", "-id")

    @admin.display(description="last seen", ordering="last_seen_at")
    def last_seen(self, alarm: SyncAlarm) -> SafeString | str:
        return time_ago(alarm.last_seen_at)

    @admin.display(description="resolved", ordering="resolved_at")
    def resolved(self, alarm: SyncAlarm) -> SafeString | str:
        return time_ago(alarm.resolved_at)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("received", "event", "status", "sender", "short_error")
    list_filter = ("status", "event", "received_at")
    search_fields = ("=event",)
    ordering = ("-received_at", "-id")
    date_hierarchy = "received_at"

    @admin.display(description="when", ordering="received_at")
    def received(self, delivery: WebhookDelivery) -> SafeString | str:
        return time_ago(delivery.received_at)

    @admin.display(description="from", ordering="remote_addr")
    def sender(self, delivery: WebhookDelivery) -> SafeString | str:
        return long_text(delivery.remote_addr or "")


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    """When each service confirmed an erasure; nobody can make or edit one by hand."""

    list_display = (
        "requested",
        "subject_hash",
        "profile_row",
        "octy_confirmed",
        "octopus_row",
        "octopus_confirmed",
        "is_complete",
    )
    search_fields = ("=subject",)
    ordering = ("-requested_at", "-id")
    date_hierarchy = "requested_at"

    @admin.display(description="asked", ordering="requested_at")
    def requested(self, erasure: Erasure) -> SafeString | str:
        return time_ago(erasure.requested_at)

    @admin.display(description="subject", ordering="subject")
    def subject_hash(self, erasure: Erasure) -> SafeString | str:
        return long_text(erasure.subject)

    @admin.display(description="Octy confirmed", ordering="octy_confirmed_at")
    def octy_confirmed(self, erasure: Erasure) -> SafeString | str:
        return time_ago(erasure.octy_confirmed_at)

    @admin.display(description="CRM confirmed", ordering="octopus_confirmed_at")
    def octopus_confirmed(self, erasure: Erasure) -> SafeString | str:
        return time_ago(erasure.octopus_confirmed_at)

    @admin.display(description="complete", boolean=True)
    def is_complete(self, erasure: Erasure) -> bool:
        return erasure.complete
