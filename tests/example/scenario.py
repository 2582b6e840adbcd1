"""What both example-shop scenarios start from: Django set up with the shop's own
settings, pointed at a fake Octy on 127.0.0.1.

The scenarios run as scripts from ``example_project/``, so this module is
imported from the scripts' own folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django_octy.testing import FakeOcty


@contextmanager
def shop_against_a_fake() -> Iterator[FakeOcty]:
    sys.path.insert(0, str(Path.cwd()))
    with FakeOcty() as octy:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_ALLOWED_HOSTS="testserver",
            OCTY_PUBLIC_KEY=octy.public_key,
            OCTY_SECRET_KEY=octy.secret_key,
            OCTY_BASE_URL=octy.url,
            OCTY_ALLOW_INSECURE_BASE_URL="1",
        )
        import django

        django.setup()
        yield octy
