"""django-octy: keep a Django project in sync with Octy, in batches, through Celery."""

__version__ = "0.1.0.dev0"
