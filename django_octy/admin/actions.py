"""Bulk actions on mirror rows. None of them calls Octy: each queues work for a Celery
worker and says so. A selection above ``CONFIRM_ABOVE`` rows asks for confirmation first."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from ..conf import settings
from ..models import SyncState
from ..sync.pending import requeue_failed
from ..sync.recording import batches
from ..sync.resync import ENTITIES, mark_for_push
from ..sync.scheduling import send_flush
from ..tasks import pull

logger = logging.getLogger(__name__)

CONFIRM_ABOVE = 100
"""Selections larger than this ask for confirmation before the action runs."""

PULL_CHUNK = 500
"""Rows per pull task: Octy looks up at most 500 ids per request."""

Action = Callable[[Any, HttpRequest, QuerySet[Any]], HttpResponse | None]


def needs_confirmation(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    action: str,
    question: str,
) -> TemplateResponse | None:
    """A confirmation page for a large selection not confirmed yet; ``None`` to go ahead."""
    if request.POST.get("confirmed") == "yes":
        return None
    count = queryset.count()
    if count <= CONFIRM_ABOVE:
        return None
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Are you sure?",
        "question": question.format(count=count, name=opts.verbose_name_plural),
        "count": count,
        "opts": opts,
        "action": action,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/django_octy/confirm_action.html", context)


def send_safely(request: HttpRequest, send: Callable[[], object], done: str) -> None:
    """Send Celery work and tell the user; a broker that is down is reported, not raised."""
    try:
        send()
    except Exception:  # the broker's errors vary by transport
        logger.warning("Could not reach the Celery broker from the admin", exc_info=True)
        messages.warning(
            request,
            f"{done} The Celery broker could not be reached: the periodic sweep will "
            "schedule the work when it is back.",
        )
        return
    messages.success(request, f"{done} A Celery worker does the rest.")


def flush_queued(request: HttpRequest, count: int, queued: str, nothing: str) -> None:
    """Schedule a flush for ``count`` queued rows and say so (or say that nothing was queued)."""
    if count:
        send_safely(request, send_flush, f"{queued.format(count=count)} and a flush scheduled.")
    else:
        messages.warning(request, nothing)


def queue_options() -> dict[str, Any]:
    return {"queue": settings.CELERY_QUEUE} if settings.CELERY_QUEUE else {}


@admin.action(description="Push now: queue the selected rows for Octy", permissions=["change"])
def push_now(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    confirm = needs_confirmation(
        modeladmin, request, queryset, "push_now", "Queue {count} {name} for a push to Octy?"
    )
    if confirm is not None:
        return confirm
    count = mark_for_push(queryset, ENTITIES[modeladmin.model])
    flush_queued(
        request, count, "{count} rows queued", "None of the selected rows can be pushed again."
    )
    return None


@admin.action(description="Re-queue failed rows", permissions=["change"])
def requeue_failed_rows(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    failed = queryset.filter(state=SyncState.FAILED)
    confirm = needs_confirmation(
        modeladmin, request, failed, "requeue_failed_rows", "Re-queue {count} failed {name}?"
    )
    if confirm is not None:
        return confirm
    count = requeue_failed(failed)
    flush_queued(
        request, count, "{count} failed rows queued again", "None of the selected rows had failed."
    )
    return None


@admin.action(description="Resync selected from Octy (pull)", permissions=["change"])
def pull_from_octy(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    in_octy = queryset.filter(octy_id__isnull=False)
    confirm = needs_confirmation(
        modeladmin, request, in_octy, "pull_from_octy", "Fetch {count} {name} from Octy?"
    )
    if confirm is not None:
        return confirm
    entity = str(ENTITIES[modeladmin.model])
    ids = in_octy.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=PULL_CHUNK)
    chunks = list(batches(ids, PULL_CHUNK))
    if not chunks:
        messages.warning(request, "None of the selected rows is in Octy yet: nothing to fetch.")
        return None

    def send() -> None:
        for chunk in chunks:
            pull.apply_async(kwargs={"entity": entity, "ids": chunk}, **queue_options())

    rows = sum(len(chunk) for chunk in chunks)
    send_safely(request, send, f"{rows} rows will be fetched from Octy ({len(chunks)} tasks).")
    return None
