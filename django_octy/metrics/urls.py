"""Mount with ``path("octy/ops/", include("django_octy.metrics.urls"))``."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "django_octy_metrics"

urlpatterns = [
    path("metrics/", views.metrics, name="metrics"),
    path("live/", views.live, name="live"),
    path("ready/", views.ready, name="ready"),
    path("health/", views.health, name="health"),
]
