"""Settings of the Celery worker processes that ``workers.py`` starts.

The test settings, with ``OCTY`` extended by the JSON object in the
``OCTY_SETTINGS`` environment variable: the process that starts a worker
decides which fake Octy it pushes to and how short its lease is. The database
and the broker come from ``DATABASE_URL`` and ``CELERY_BROKER_URL`` as in
``tests.settings``.
"""

import json
import os

from tests.settings import *  # noqa: F403
from tests.settings import OCTY as TEST_OCTY

OCTY = {**TEST_OCTY, **json.loads(os.environ.get("OCTY_SETTINGS", "{}"))}

# One message reserved per worker process: a worker busy with a long flush must not sit
# on a second flush that an idle worker could run.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
