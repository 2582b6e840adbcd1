"""Mount with ``path("octy/", include("django_octy.api.urls"))``; the schema is at ``schema/``."""

from __future__ import annotations

from django.urls import path

from .schema import SchemaView
from .views import ContentView, EventView, RecommendationsView
from .webhook import WebhookView

app_name = "django_octy"

endpoints = [
    path("events/", EventView.as_view(), name="events"),
    path("recommendations/", RecommendationsView.as_view(), name="recommendations"),
    path("content/", ContentView.as_view(), name="content"),
    path("webhook/", WebhookView.as_view(), name="webhook"),
]

urlpatterns = [*endpoints, path("schema/", SchemaView.as_view(patterns=endpoints), name="schema")]
