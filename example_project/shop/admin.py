from django.contrib import admin

from .models import Customer, Login, Order, OrderLine, PageView, Product


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("user", "first_name", "city", "joined_at")
    search_fields = ("user__username", "first_name", "city")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "category", "price")
    list_filter = ("category",)
    search_fields = ("sku", "name")


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
