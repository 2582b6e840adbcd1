"""The Octy dashboard inside the admin: counts, queue age, the last day, alarms, keys,
the size of each log table.

It is listed on the admin home, the app index and the sidebar as "Sync dashboard"
(a proxy model, :class:`~django_octy.models.SyncDashboard`), for users who may view
the push log. It reads the database and the cache only. Whether Octy accepts the keys comes
from the last key check kept in the cache; when there is none, a check is
scheduled on a Celery worker and the page says so.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from ..conf import octopus_settings, settings
from ..keycheck import cached_key_check
from ..models import SyncDashboard, SyncState
from ..retention import table_sizes
from ..sync.status import EntityStatus, status
from ..sync.targets import all_targets
from .display import ViewOnlyAdmin

logger = logging.getLogger(__name__)

KEY_CHECK_PENDING = "django_octy:key_check:scheduled"
KEY_CHECK_RETRY = 60
"""Seconds before the dashboard schedules another key check while none has answered."""


def schedule_key_check() -> bool:
    """Send one key check to a worker (at most one a minute); whether one is on its way."""
    if not cache.add(KEY_CHECK_PENDING, True, timeout=KEY_CHECK_RETRY):
        return True
    from ..operator_tasks import check_keys

    options = {"queue": settings.CELERY_QUEUE} if settings.CELERY_QUEUE else {}
    try:
        check_keys.apply_async(**options)
    except Exception:  # the broker's errors vary by transport
        logger.warning("Could not schedule an Octy key check", exc_info=True)
        return False
    return True


def count_row(entity: EntityStatus) -> dict[str, Any]:
    """One entity's counts, each with the change list of its rows in that state."""
    changelist = reverse(f"admin:django_octy_{entity.model_name}_changelist")
    return {
        "entity": entity,
        "changelist": changelist,
        "cells": [
            {
                "state": state,
                "count": entity.counts[state],
                "url": f"{changelist}?{urlencode({'state__exact': state.value})}",
                "alert": state == SyncState.FAILED and entity.counts[state] > 0,
            }
            for state in SyncState
        ],
    }


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    current = status()
    key_check = cached_key_check()
    targets = [
        {
            "name": target.name,
            "label": target.label,
            "enabled": target.enabled(),
            "rows": [count_row(e) for e in current.entities if e.entity in target.entities],
        }
        for target in all_targets()
        if target.configured()
    ]
    return {
        "status": current,
        "states": list(SyncState),
        "targets": targets,
        "activities": list(current.activity.values()),
        "key_check": key_check,
        "key_check_scheduled": key_check is None and schedule_key_check(),
        "table_sizes": table_sizes(),
        "settings_tables": [
            (namespace.name, sorted(namespace.as_dict().items()))
            for namespace in (settings, octopus_settings)
            if namespace is settings or octopus_settings.configured
        ],
        "now": timezone.now(),
    }


@admin.register(SyncDashboard)
class SyncDashboardAdmin(ViewOnlyAdmin):
    """The dashboard in place of a change list; it needs the push log's view permission."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("django_octy.view_pushlog")

    def get_urls(self) -> list[URLPattern]:
        dashboard = self.admin_site.admin_view(self.dashboard)
        return [
            path("", dashboard, name="django_octy_dashboard"),
            path("", dashboard, name="django_octy_syncdashboard_changelist"),
        ]

    def dashboard(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Octy sync dashboard",
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            **dashboard_context(request),
        }
        return TemplateResponse(request, "admin/django_octy/dashboard.html", context)
