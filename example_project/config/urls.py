from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("octy/", include("django_octy.api.urls")),
    path("octy/ops/", include("django_octy.metrics.urls")),
    path("", include("shop.urls")),
]
