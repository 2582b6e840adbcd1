from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from django_octy import insights
from django_octy.admin import octy_sync_inlines
from django_octy.models import Segment

from .churn import churn_summary
from .models import Customer, Login, Order, OrderLine, PageView, Product

CHURN_LEVELS = (("high", "High"), ("medium", "Medium"), ("low", "Low"))


class ChurnRiskFilter(admin.SimpleListFilter):
    """Customers by the churn probability Octy computed (as of the last pull)."""

    title = "churn risk (Octy)"
    parameter_name = "churn"

    def lookups(self, request: HttpRequest, model_admin: Any) -> tuple[tuple[str, str], ...]:
        return CHURN_LEVELS

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        return insights.customers(queryset, churn_probability=self.value())


class SegmentFilter(admin.SimpleListFilter):
    """Customers in one of the segments Octy fills (the shop's definitions)."""

    title = "segment (Octy)"
    parameter_name = "segment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        names = Segment.objects.order_by("segment_name").values_list("segment_name", flat=True)
        return [(name, name) for name in names]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        return insights.customers(queryset, segment=self.value())


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Customers with their Octy profile inline, filters by churn risk and segment, and
    Octy's churn report above the list."""

    list_display = ("user", "first_name", "city", "joined_at")
    list_filter = (ChurnRiskFilter, SegmentFilter)
    search_fields = ("user__username", "first_name", "city")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    inlines = octy_sync_inlines(Customer)
    change_list_template = "admin/shop/customer/change_list.html"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), **churn_summary()})


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "category", "price")
    list_filter = ("category",)
    search_fields = ("sku", "name")
    inlines = octy_sync_inlines(Product)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    raw_id_fields = ("product",)
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "customer", "created_at", "paid_at", "payment_method")
    list_filter = ("payment_method",)
    list_select_related = ("customer__user",)
    raw_id_fields = ("customer",)
    inlines = (OrderLineInline,)
    show_full_result_count = False


@admin.register(PageView)
class PageViewAdmin(admin.ModelAdmin):
    list_display = ("customer", "path", "viewed_at")
    list_select_related = ("customer__user",)
    raw_id_fields = ("customer", "product")
    show_full_result_count = False


@admin.register(Login)
class LoginAdmin(admin.ModelAdmin):
    list_display = ("customer", "device", "logged_in_at")
    list_select_related = ("customer__user",)
    raw_id_fields = ("customer",)
    show_full_result_count = False
