from django.apps import AppConfig


class DjangoOctyConfig(AppConfig):
    name = "django_octy"
    verbose_name = "Octy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.signals import worker_init

        from . import checks, operator_tasks  # noqa: F401 - registers the checks and tasks
        from .definitions import replacement
        from .sync import receivers
        from .sync.registry import autodiscover

        receivers.connect()
        replacement.connect()
        autodiscover()
        worker_init.connect(checks.refuse_to_work_without_keys)
