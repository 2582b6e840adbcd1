"""Signal receivers: saves, deletions and many-to-many changes of registered host models.

They are connected once, for every sender, by the app's ``ready()``; a save
of an unregistered model costs one dictionary lookup, a save of a registered
one a row in the change log.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from .folding import fold_before_deletion
from .recording import log_change, mark_dirty, record_delete
from .registry import registry

CLEARING = "_octy_m2m_clearing"
"""Instance attribute holding, between ``pre_clear`` and ``post_clear``, who was related."""


def on_save(
    sender: type[models.Model],
    instance: models.Model,
    raw: bool = False,
    **_: Any,
) -> None:
    if not raw and registry.sources_for(sender):  # raw: loading fixtures
        log_change(instance)


def before_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    if registry.sources_for(sender):
        fold_before_deletion(instance)


def on_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    for source in registry.sources_for(sender):
        record_delete(source, instance)


def on_m2m_changed(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    reverse: bool,
    pk_set: set[Any] | None,
    **_: Any,
) -> None:
    for source, field_name in registry.m2m_sources(sender):
        if not reverse:
            if action in ("post_add", "post_remove", "post_clear"):
                log_change(instance)
            continue
        # ``instance`` is on the other side: the host objects are the related ones.
        related = source.model._default_manager.filter(**{field_name: instance})
        if action == "pre_clear":
            setattr(instance, CLEARING, list(related.values_list("pk", flat=True)))
        elif action == "post_clear":
            cleared = getattr(instance, CLEARING, [])
            mark_dirty(source.model._default_manager.filter(pk__in=cleared))
        elif action in ("post_add", "post_remove") and pk_set:
            mark_dirty(source.model._default_manager.filter(pk__in=pk_set))


def connect() -> None:
    post_save.connect(on_save, dispatch_uid="django_octy.on_save")
    pre_delete.connect(before_delete, dispatch_uid="django_octy.before_delete")
    post_delete.connect(on_delete, dispatch_uid="django_octy.on_delete")
    m2m_changed.connect(on_m2m_changed, dispatch_uid="django_octy.on_m2m_changed")
