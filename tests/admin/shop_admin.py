"""The test shop's own admin: host models showing their Octy sync state inline."""

from __future__ import annotations

from django.contrib import admin

from django_octy.admin import octy_sync_inlines
from tests.shop.models import Customer, Order, Product


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    inlines = octy_sync_inlines(Customer)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    inlines = octy_sync_inlines(Product)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    inlines = octy_sync_inlines(Order)
