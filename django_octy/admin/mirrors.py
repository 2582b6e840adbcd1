"""ModelAdmins of the mirror models: what is synced, pending and failed, row by row.

Built for tables of millions of rows: exact-match search on indexed columns, a
paginator that never counts the whole table, no facet counts, related rows
joined in the list query, and raw id widgets instead of select boxes.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..models import (
    OUTSTANDING_STATES,
    Event,
    EventType,
    Item,
    MessageTemplate,
    OctopusEntry,
    Profile,
    Segment,
    SyncedObject,
)
from ..readback import PULLABLE
from ..sync.resync import ENTITIES
from ..sync.waiting import dependencies, waiting_on
from .actions import pull_from_octy, push_now, requeue_failed_rows
from .definitions import ReplaceOnChangeMixin
from .display import EMPTY, ModelAdminBase, short_text, state_badge
from .paginator import CappedCountPaginator

BOOKKEEPING = (
    "octy_id",
    "state_label",
    "version",
    "synced_version",
    "attempts",
    "next_attempt_at",
    "last_synced_at",
    "last_error_text",
    "waiting_for",
    "leased_until",
    "source_link",
    "remote_json",
    "created_at",
    "updated_at",
)


class InOctyFilter(admin.SimpleListFilter):
    title = "in Octy"
    parameter_name = "in_octy"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes (has an Octy id)"), ("no", "Not yet")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(octy_id__isnull=False)
        if self.value() == "no":
            return queryset.filter(octy_id__isnull=True)
        return queryset


class InOctopusFilter(InOctyFilter):
    title = "in Octopus"
    parameter_name = "in_octopus"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes (has an identity)"), ("no", "Not yet")]


class WaitingForFilter(admin.SimpleListFilter):
    """Outstanding rows that wait on another object (their profile, event type, parent)."""

    title = "waiting for"
    parameter_name = "waiting_for"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(d.name, d.label) for d in dependencies(model_admin.model)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        for dependency in dependencies(queryset.model):
            if self.value() == dependency.name:
                return queryset.filter(dependency.blocked, state__in=OUTSTANDING_STATES)
        return queryset


class SyncedObjectAdmin(ModelAdminBase):
    """The shared admin of every mirror model; subclasses name their own columns."""

    key_fields: ClassVar[tuple[str, ...]] = ()
    exact_search_fields: ClassVar[tuple[str, ...]] = ()
    target_label: ClassVar[str] = "Octy"
    """The service the rows are pushed to, as the change page names it."""

    list_filter: ClassVar[tuple[Any, ...]] = (
        "state",
        InOctyFilter,
        "last_synced_at",
        "updated_at",
    )
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    readonly_fields = BOOKKEEPING
    actions = (push_now, requeue_failed_rows, pull_from_octy)

    class Media:
        css: ClassVar[dict[str, tuple[str, ...]]] = {"all": ("django_octy/admin.css",)}

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        return (
            *self.key_fields,
            "octy_id",
            "state_label",
            "last_synced_at",
            "attempts",
            "short_error",
        )

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return (*self.exact_search_fields, "octy_id")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """Exact matches on indexed columns only: a ``LIKE '%...%'`` scans millions of rows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q()
        for name in self.get_search_fields(request):
            match |= Q(**{name: term})
        return queryset.filter(match), False

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        own = [
            name
            for name in self.get_fields(request, obj)
            if name not in BOOKKEEPING and name not in self.readonly_only()
        ]
        return [
            (None, {"fields": own}),
            *self.extra_fieldsets(),
            (f"{self.target_label} sync", {"fields": BOOKKEEPING}),
        ]

    def readonly_only(self) -> tuple[str, ...]:
        """Read-only fields shown in their own fieldset (Octy's computed values)."""
        return ()

    def extra_fieldsets(self) -> list[tuple[str, dict[str, Any]]]:
        return []

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one click must not drop a million rows
        if ENTITIES[self.model] not in PULLABLE:
            actions.pop("pull_from_octy", None)
        return actions

    @admin.display(description="sync state", ordering="state")
    def state_label(self, row: SyncedObject) -> SafeString:
        return state_badge(row.state)

    @admin.display(description="last error")
    def short_error(self, row: SyncedObject) -> str:
        return short_text(row.last_error)

    @admin.display(description="last error")
    def last_error_text(self, row: SyncedObject) -> SafeString | str:
        if not row.last_error:
            return EMPTY
        return format_html('<pre class="octy-pre">{}</pre>', row.last_error)

    @admin.display(description="waiting for")
    def waiting_for(self, row: SyncedObject) -> str:
        return "; ".join(waiting_on(row)) or EMPTY

    @admin.display(description="what Octy returned")
    def remote_json(self, row: SyncedObject) -> SafeString | str:
        if not row.remote:
            return EMPTY
        return format_html(
            '<pre class="octy-pre">{}</pre>', json.dumps(row.remote, indent=2, sort_keys=True)
        )

    @admin.display(description="host object")
    def source_link(self, row: SyncedObject) -> SafeString | str:
        if row.source_type_id is None:
            return EMPTY
        from .display import admin_link

        model = row.source_type.model_class() if row.source_type else None
        if model is None:
            return f"{row.source_type} {row.source_id}"
        return admin_link(model, row.source_id, f"{model._meta.verbose_name} {row.source_id}")


@admin.register(Profile)
class ProfileAdmin(SyncedObjectAdmin):
    key_fields = ("customer_id", "has_charged", "churn_probability", "rfm_score")
    exact_search_fields = ("customer_id",)
    raw_id_fields = ("parent",)
    list_select_related = ("parent",)

    def readonly_only(self) -> tuple[str, ...]:
        return Profile.remote_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (
            *BOOKKEEPING,
            "churn_probability",
            "rfm_score",
            "segment_tags",
            "insights_pulled_at",
        )

    def extra_fieldsets(self) -> list[tuple[str, dict[str, Any]]]:
        fields = ("churn_probability", "rfm_score", "segment_tags", "insights_pulled_at", "parent")
        return [("Computed by Octy", {"fields": fields})]


@admin.register(Item)
class ItemAdmin(SyncedObjectAdmin):
    key_fields = ("item_id", "item_name", "item_category", "item_price")
    exact_search_fields = ("item_id",)


@admin.register(Event)
class EventAdmin(SyncedObjectAdmin):
    key_fields = ("event_type", "profile", "occurred_at")
    list_filter = (*SyncedObjectAdmin.list_filter, WaitingForFilter)
    exact_search_fields = ("event_type", "profile__customer_id")
    raw_id_fields = ("profile",)
    list_select_related = ("profile",)


@admin.register(EventType)
class EventTypeAdmin(ReplaceOnChangeMixin, SyncedObjectAdmin):
    key_fields = ("event_type",)
    exact_search_fields = ("event_type",)


@admin.register(Segment)
class SegmentAdmin(ReplaceOnChangeMixin, SyncedObjectAdmin):
    key_fields = ("segment_name", "segment_type")
    exact_search_fields = ("segment_name",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(SyncedObjectAdmin):
    key_fields = ("friendly_name", "template_type", "status")
    exact_search_fields = ("friendly_name",)


@admin.register(OctopusEntry)
class OctopusEntryAdmin(SyncedObjectAdmin):
    """Address-book entries of the Octopus CRM; ``octy_id`` is the entry's stable identity."""

    key_fields = ("__str__", "entry_type", "parent", "reference")
    target_label = "Octopus"
    exact_search_fields = ("reference",)
    raw_id_fields = ("parent",)
    list_select_related = ("parent",)
    list_filter = (
        "state",
        "entry_type",
        InOctopusFilter,
        WaitingForFilter,
        "last_synced_at",
        "updated_at",
    )
