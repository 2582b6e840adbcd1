"""Signals sent around every push to Octy.

All three are sent with the mirror model as ``sender`` and these arguments:

- ``pre_push``: ``entity``, ``operation`` (``"create"``, ``"update"`` or
  ``"delete"``), ``rows`` (the mirror rows about to be sent).
- ``post_push``: the same, plus ``outcomes``: ``{row id: outcome}`` where an
  outcome is one of :mod:`django_octy.sync.outcomes`.
- ``push_failed``: the same as ``pre_push``, plus ``error``: the
  :class:`~django_octy.client.OctyError` the whole request failed with.

Receivers run in the flushing worker, outside any transaction; an exception
in a receiver is logged and does not stop the push.
"""

from django.dispatch import Signal

pre_push = Signal()
post_push = Signal()
push_failed = Signal()
