"""How long a row waits before its next attempt after a transient failure."""

from __future__ import annotations

import random

from ..conf import settings


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait after the ``attempt``-th failure (1 for the first).

    Exponential from ``BACKOFF_BASE``, capped at ``BACKOFF_MAX``, with jitter
    (a random point in the upper half) so that batches, and flushers, that
    failed at the same moment do not all come back at the same moment; never
    shorter than Octy's ``Retry-After``.
    """
    ceiling = min(float(settings.BACKOFF_MAX), float(settings.BACKOFF_BASE) * 2 ** (attempt - 1))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security
    return max(delay, retry_after or 0.0)
