from django.apps import AppConfig


class DjangoOctyConfig(AppConfig):
    name = "django_octy"
    verbose_name = "Octy"
    default_auto_field = "django.db.models.BigAutoField"
