"""django-octy: keep a Django project in sync with Octy, in batches, through Celery.

The public helpers are imported lazily, so that importing the package does not
load Django models::

    from django_octy import sources, mark_dirty, track, requeue_failed, erase
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0.dev0"

_LAZY = {
    "sources": ("django_octy.sync.sources", None),
    "register": ("django_octy.sync.sources", "register"),
    "mark_dirty": ("django_octy.sync.recording", "mark_dirty"),
    "track": ("django_octy.sync.recording", "track"),
    "requeue_failed": ("django_octy.sync.pending", "requeue_failed"),
    "flush_all": ("django_octy.sync.flush", "flush_all"),
    "fold_changes": ("django_octy.sync.folding", "fold_changes"),
    "erase": ("django_octy.erasure", "erase"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = import_module(module_name)
    return module if attribute is None else getattr(module, attribute)
