"""Settings for benchmarks/save_overhead.py: the test settings, with or without django_octy.

``OCTY_INSTALLED=0`` leaves the app out of ``INSTALLED_APPS`` (the shop's models stay, its
``octy.py`` is never imported). Otherwise the app syncs as in production, its flushes
scheduled on an in-process Celery broker that no worker consumes.
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

CELERY_BROKER_URL = "memory://"

if os.environ.get("OCTY_INSTALLED") == "0":
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "django_octy"]
else:
    import tests.celery_app  # noqa: F401 - configures Celery from these settings
