"""Celery tasks behind the operator's tools: a resync (``octy_resync --async``) and a
key check (the admin dashboard). Registered by the app's ``ready()``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import shared_task
from django.utils.dateparse import parse_datetime

from .keycheck import check_keys as run_key_check
from .sync.resync import resync as run_resync


@shared_task(ignore_result=True)
def check_keys() -> dict[str, Any]:
    """Authenticate against Octy and cache the answer for the dashboard."""
    return run_key_check().as_dict()


@shared_task(acks_late=True)
def resync(
    entities: list[str] | None = None,
    since: str | None = None,
    chunk_size: int = 500,
    concurrency: int | None = None,
) -> dict[str, Any]:
    """Push every registered host object and mirror row again (see ``octy_resync``)."""
    moment: datetime | None = parse_datetime(since) if since else None
    return run_resync(entities, moment, chunk_size, concurrency=concurrency).as_dict()
