"""Work in a thread of its own, with its own database connection: a second flusher."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_in_thread(work: Callable[[], object], name: str | None = None) -> threading.Thread:
    """Run ``work`` in a thread with its own database connection (closed at the end)."""

    def target() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread
