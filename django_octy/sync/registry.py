"""The registry of sources: which host models are mirrored, and how.

Like the admin site's registry, it is filled at start-up by the ``octy.py``
module of each installed app (see :func:`autodiscover`). A model may have one
source per entity: a ``Customer`` can be a profile and record events too.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.module_loading import autodiscover_modules

from ..models import Entity

if TYPE_CHECKING:
    from .sources import Source


class AlreadyRegistered(Exception):
    """The model already has a source for this entity."""


class NotRegistered(Exception):
    """The model has no such source."""


class SourceRegistry:
    def __init__(self) -> None:
        self._by_model: dict[type[models.Model], list[Source[Any]]] = defaultdict(list)
        self._by_through: dict[type[models.Model], list[tuple[Source[Any], str]]] = defaultdict(
            list
        )

    def register(self, model: type[models.Model], source: Source[Any]) -> None:
        if any(existing.entity == source.entity for existing in self._by_model[model]):
            raise AlreadyRegistered(
                f"{model._meta.label} already has a {Entity(source.entity).label} source."
            )
        self._by_model[model].append(source)
        for field_name in source.m2m_fields:
            through = getattr(model, field_name).through
            self._by_through[through].append((source, field_name))

    def unregister(self, model: type[models.Model], source_class: type[Any] | None = None) -> None:
        current = self._by_model.get(model, [])
        removed = [s for s in current if source_class is None or type(s) is source_class]
        if not removed:
            raise NotRegistered(f"{model._meta.label} has no such source.")
        self._by_model[model] = [s for s in current if s not in removed]
        for through, entries in self._by_through.items():
            self._by_through[through] = [(s, name) for s, name in entries if s not in removed]

    def sources_for(self, model: type[models.Model]) -> list[Source[Any]]:
        """The sources of a host model (its concrete model for proxies)."""
        return self._by_model.get(model._meta.concrete_model or model, [])

    def source_for(self, model: type[models.Model], entity: Entity) -> Source[Any] | None:
        return next((s for s in self.sources_for(model) if s.entity == entity), None)

    def m2m_sources(self, through: type[models.Model]) -> list[tuple[Source[Any], str]]:
        """``(source, field name)`` for each source that follows this many-to-many table."""
        return self._by_through.get(through, [])

    def all(self) -> list[Source[Any]]:
        return [source for sources in self._by_model.values() for source in sources]

    def is_registered(self, model: type[models.Model]) -> bool:
        return bool(self.sources_for(model))


registry = SourceRegistry()


def autodiscover() -> None:
    """Import the ``octy`` module of every installed app, where sources register."""
    autodiscover_modules("octy")
