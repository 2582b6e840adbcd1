"""The ready-made Celery beat entries of django-octy.

This module imports nothing from Django's models, so a project's ``celery.py``
(imported while settings load) can use it::

    from django_octy.schedule import BEAT_SCHEDULE
    app.conf.beat_schedule = {**app.conf.beat_schedule, **BEAT_SCHEDULE}
"""

from __future__ import annotations

from typing import Any

SWEEP_INTERVAL = 60.0
"""Seconds between sweeps, which send a flush when anything is due."""

RECONCILE_INTERVAL = 300.0
"""Seconds between reconciles, which record the host changes no signal saw."""

PULL_INTERVAL = 3600.0
"""Seconds between scheduled pulls of the profiles' churn, RFM scores and segments."""

PRUNE_INTERVAL = 86400.0
"""Seconds between prunes of the log tables (see :mod:`django_octy.retention`)."""

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "django-octy-sweep": {"task": "django_octy.tasks.sweep", "schedule": SWEEP_INTERVAL},
    "django-octy-reconcile": {
        "task": "django_octy.tasks.reconcile",
        "schedule": RECONCILE_INTERVAL,
    },
    "django-octy-pull-insights": {
        "task": "django_octy.tasks.pull",
        "schedule": PULL_INTERVAL,
        "args": ("profile",),
    },
    "django-octy-prune": {"task": "django_octy.tasks.prune", "schedule": PRUNE_INTERVAL},
}
