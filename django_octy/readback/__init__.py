"""Read-back: what Octy holds and computes, pulled into the mirror models.

:func:`pull` fetches one entity (profiles with their computed churn
probability, RFM score and segments; items; event types; segments; message
templates) and stores it; pulling profiles also detects Octy's identity merges
(:mod:`django_octy.readback.merges`). The Celery task ``django_octy.tasks.pull``
and the ``octy_pull`` command call it.
"""

from .pulling import PULLABLE, PullSummary, pull

__all__ = ["PULLABLE", "PullSummary", "pull"]
