"""Catalogue items."""

from __future__ import annotations

from django.db import models

from .base import SyncedObject, bookkeeping_indexes, source_constraint


class Item(SyncedObject):
    """One catalogue item; ``item_price`` is in minor units (2000 is 20.00)."""

    item_id = models.CharField(max_length=255, unique=True)
    item_category = models.CharField(max_length=255)
    item_name = models.CharField(max_length=255)
    item_description = models.TextField(blank=True)
    item_price = models.BigIntegerField(default=0, help_text="In minor units: 2000 is 20.00.")
    status = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "item"
        indexes = bookkeeping_indexes("octy_item")
        constraints = (source_constraint("octy_item"),)

    def __str__(self) -> str:
        return self.item_id
