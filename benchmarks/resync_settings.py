"""Settings for benchmarks/resync.py: the test settings, pointed at a fake Octy."""

import os

from tests.settings import *  # noqa: F403

OCTY = {
    "PUBLIC_KEY": os.environ["OCTY_PUBLIC_KEY"],
    "SECRET_KEY": os.environ["OCTY_SECRET_KEY"],
    "BASE_URL": os.environ["OCTY_BASE_URL"],
    "ALLOW_INSECURE_BASE_URL": True,
}
# The flushes a resync schedules go to an in-process broker, not to whatever broker
# Celery's default app would reach on this machine.
CELERY_BROKER_URL = "memory://"

import tests.celery_app  # noqa: E402, F401 - configures Celery from the settings above
