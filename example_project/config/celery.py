"""The example shop's Celery app: ``celery -A config worker`` and ``celery -A config beat``.

Everything, the beat schedule included, comes from the ``CELERY_*`` Django settings.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("example_shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
