"""ModelAdmins of the mirror models: what is synced, pending and failed, row by row.

Rows mirroring the host's data (profiles, items, events, Octopus entries) are
read-only: they are written by the sync engine from the host objects, and a
hand edit, addition or deletion would leave its bookkeeping (and Octy) out of
step. Their bulk actions stay. Definitions (event types, segments, message
templates) have no host object: the admin is where they are written, so
they can be added and changed, never deleted by hand (``octy_apply`` removes
them from Octy too).

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
    SyncState,
)
from ..readback import PULLABLE
from ..sync.resync import ENTITIES
from ..sync.waiting import dependencies, waiting_on
from .actions import pull_from_octy, push_now, requeue_failed_rows
from .definitions import ReplaceOnChangeMixin
from .display import EMPTY, ModelAdminBase, long_text, short_text, state_badge, time_ago
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
    editable_rows: ClassVar[bool] = False
    """Whether rows are added and changed in forms (definitions); others are read-only."""

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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.editable_rows and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Without ``obj`` (the actions ask so) the user's permission; a row's form is
        read-only unless the rows are editable."""
        if obj is not None and not self.editable_rows:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        """Few, narrow columns: the sync state and the last error stay in sight at 1280 px.

        The Octy id is on the change page and in the search; the "in Octy"
        filter tells the rows that have one.
        """
        return (*self.key_fields, "state_label", "synced_ago", "attempts", "short_error")

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
        if ENTITIES[self.model] not in PULLABLE:
            actions.pop("pull_from_octy", None)
        return actions

    @admin.display(description="sync state", ordering="state")
    def state_label(self, row: SyncedObject) -> SafeString:
        return state_badge(row.state)

    @admin.display(description="last synced", ordering="last_synced_at")
    def synced_ago(self, row: SyncedObject) -> SafeString | str:
        return time_ago(row.last_synced_at)

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
    key_fields = ("customer_id", "churn", "rfm")
    exact_search_fields = ("customer_id",)
    raw_id_fields = ("parent",)

    @admin.display(description="churn", ordering="churn_probability")
    def churn(self, profile: Profile) -> str:
        return profile.churn_probability or EMPTY

    @admin.display(description="RFM", ordering="rfm_score")
    def rfm(self, profile: Profile) -> str:
        return EMPTY if profile.rfm_score is None else str(profile.rfm_score)

    def readonly_only(self) -> tuple[str, ...]:
        return ("octy_status", *Profile.remote_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (
            *BOOKKEEPING,
            "octy_status",
            "churn_probability",
            "rfm_score",
            "segment_tags",
            "insights_pulled_at",
        )

    def extra_fieldsets(self) -> list[tuple[str, dict[str, Any]]]:
        fields = (
            "octy_status",
            "churn_probability",
            "rfm_score",
            "segment_tags",
            "insights_pulled_at",
            "parent",
        )
        return [("Computed by Octy", {"fields": fields})]

    @admin.display(description="status in Octy")
    def octy_status(self, profile: Profile) -> str:
        return profile_status(profile)


def profile_status(profile: Profile) -> str:
    """Where the profile stands in Octy: not there yet, deleted, merged, or Octy's status."""
    if profile.state == SyncState.DELETED:
        return "Deleted from Octy"
    if profile.parent_id is not None:
        return f"Merged into {profile.parent}"
    if profile.octy_id is None:
        return "Not in Octy yet"
    remote = profile.remote if isinstance(profile.remote, dict) else {}
    return str(profile.status or remote.get("status") or "In Octy")


@admin.register(Item)
class ItemAdmin(SyncedObjectAdmin):
    key_fields = ("item_id", "item_name", "item_category")
    exact_search_fields = ("item_id",)


@admin.register(Event)
class EventAdmin(SyncedObjectAdmin):
    key_fields = ("event_type", "customer", "occurred")
    list_filter = (*SyncedObjectAdmin.list_filter, WaitingForFilter)
    exact_search_fields = ("event_type", "profile__customer_id")
    raw_id_fields = ("profile",)
    list_select_related = ("profile",)

    @admin.display(description="customer", ordering="profile__customer_id")
    def customer(self, event: Event) -> SafeString | str:
        return long_text(event.profile.customer_id)

    @admin.display(description="occurred", ordering="occurred_at")
    def occurred(self, event: Event) -> SafeString | str:
        return time_ago(event.occurred_at)


@admin.register(EventType)
class EventTypeAdmin(ReplaceOnChangeMixin, SyncedObjectAdmin):
    editable_rows = True
    key_fields = ("event_type",)
    exact_search_fields = ("event_type",)


@admin.register(Segment)
class SegmentAdmin(ReplaceOnChangeMixin, SyncedObjectAdmin):
    editable_rows = True
    key_fields = ("segment_name", "segment_type")
    exact_search_fields = ("segment_name",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(SyncedObjectAdmin):
    editable_rows = True
    key_fields = ("friendly_name", "template_type", "status")
    exact_search_fields = ("friendly_name",)


@admin.register(OctopusEntry)
class OctopusEntryAdmin(SyncedObjectAdmin):
    """Address-book entries of the Octopus CRM; ``octy_id`` is the entry's stable identity."""

    key_fields = ("__str__", "entry_type", "entry_reference")
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

    @admin.display(description="reference", ordering="reference")
    def entry_reference(self, entry: OctopusEntry) -> SafeString | str:
        return long_text(entry.reference or "")
