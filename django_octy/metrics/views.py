"""The metrics view and the health views.

The health views answer 200 or 503 with a small JSON body and are open to
anyone who can reach them (they show verdicts, never a secret). The metrics
view answers to a bearer token (``OCTY["METRICS_TOKEN"]``) or to a signed-in
staff user, and says so when the ``metrics`` extra is not installed.
"""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..conf import settings
from .health import Check, readiness, sync_health

MISSING_EXTRA = (
    "django-octy metrics need the prometheus-client package: pip install 'django-octy[metrics]'\n"
)


def verdict(checks: list[Check]) -> JsonResponse:
    healthy = all(check.ok for check in checks)
    body = {
        "status": "ok" if healthy else "failing",
        "checks": {check.name: {"ok": check.ok, **check.facts} for check in checks},
    }
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers requests; the database is not asked."""
    return verdict([])


@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers, so this process can serve."""
    return verdict(readiness())


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """The sync's health: database, open alarms, the age of the oldest pending change."""
    return verdict(sync_health())


def may_read_metrics(request: HttpRequest) -> bool:
    """A bearer token equal to ``METRICS_TOKEN``, or a signed-in active staff user."""
    token = str(settings.METRICS_TOKEN or "")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer":
        return hmac.compare_digest(presented.strip().encode(), token.encode())
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff)


def plain_text(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """The pipeline's metrics in Prometheus' text format."""
    if not may_read_metrics(request):
        return plain_text("Forbidden: a bearer token or a staff user is needed.\n", 403)
    try:
        from .collector import exposition
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] != "prometheus_client":
            raise
        return plain_text(MISSING_EXTRA, 501)
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
