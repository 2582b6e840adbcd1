"""The Celery app of the test suite, configured from Django settings (``CELERY_*``)."""

from __future__ import annotations

from celery import Celery

app = Celery("django_octy_tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.set_default()
