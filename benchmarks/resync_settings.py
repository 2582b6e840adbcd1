"""Settings for benchmarks/resync_memory.py: the test settings, pointed at a fake Octy."""

import os

from tests.settings import *  # noqa: F403

OCTY = {
    "PUBLIC_KEY": os.environ["OCTY_PUBLIC_KEY"],
    "SECRET_KEY": os.environ["OCTY_SECRET_KEY"],
    "BASE_URL": os.environ["OCTY_BASE_URL"],
    "ALLOW_INSECURE_BASE_URL": True,
}
CELERY_BROKER_URL = "memory://"
