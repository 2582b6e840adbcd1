from django.urls import path

from . import views

app_name = "shop"

urlpatterns = [
    path("", views.home, name="home"),
    path("products/<str:sku>/", views.product_detail, name="product"),
    path("products/<str:sku>/buy/", views.buy, name="buy"),
    path("orders/", views.orders, name="orders"),
    path("insights/", views.insights, name="insights"),
]
