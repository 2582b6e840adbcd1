from django.contrib import admin
from django.urls import include, path

from tests.admin import shop_admin  # noqa: F401 - the shop's admin, with Octy sync inlines

urlpatterns = [
    path("admin/", admin.site.urls),
    path("octy/", include("django_octy.api.urls")),
    path("octy/ops/", include("django_octy.metrics.urls")),
]
