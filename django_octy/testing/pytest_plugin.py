"""pytest plugin registered through the ``pytest11`` entry point.

Fixtures:

- ``octy_server``: a fresh :class:`~django_octy.testing.FakeOcty` per test, stopped after.
- ``octy_settings``: the same server, with ``settings.OCTY`` pointing at it
  (needs pytest-django's ``settings`` fixture).

Nothing is imported at load time beyond pytest, so the plugin loads in
projects without werkzeug, Django or pytest-django.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server import FakeOcty


@pytest.fixture
def octy_server() -> Iterator[FakeOcty]:
    """A fake Octy server on 127.0.0.1, fresh for each test."""
    from .server import FakeOcty

    with FakeOcty() as octy:
        yield octy


@pytest.fixture
def octy_settings(request: pytest.FixtureRequest, octy_server: FakeOcty) -> FakeOcty:
    """Point ``settings.OCTY`` at ``octy_server`` for one test; returns the server."""
    if not request.config.pluginmanager.hasplugin("django"):
        pytest.fail("The octy_settings fixture needs pytest-django (pip install pytest-django).")
    settings = request.getfixturevalue("settings")
    settings.OCTY = {
        **(getattr(settings, "OCTY", None) or {}),
        "PUBLIC_KEY": octy_server.public_key,
        "SECRET_KEY": octy_server.secret_key,
        "BASE_URL": octy_server.url,
        "ALLOW_INSECURE_BASE_URL": True,
    }
    return octy_server
