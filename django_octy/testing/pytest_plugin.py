"""pytest plugin registered through the ``pytest11`` entry point.

Fixtures:

- ``octy_server``: a fresh :class:`~django_octy.testing.FakeOcty` per test, stopped after.
- ``octy_settings``: the same server, with ``settings.OCTY`` pointing at it
  (needs pytest-django's ``settings`` fixture).
- ``octopus_server``: a fresh :class:`~django_octy.testing.FakeOctopus` per test.
- ``octopus_settings``: the same, with ``settings.OCTOPUS`` pointing at it.

Nothing is imported at load time beyond pytest, so the plugin loads in
projects without werkzeug, Django or pytest-django.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .octopus import FakeOctopus
    from .server import FakeOcty


@pytest.fixture
def octy_server() -> Iterator[FakeOcty]:
    """A fake Octy server on 127.0.0.1, fresh for each test."""
    from .server import FakeOcty

    with FakeOcty() as octy:
        yield octy


def point_settings(
    request: pytest.FixtureRequest, fixture: str, name: str, values: dict[str, Any]
) -> None:
    """Merge ``values`` into the ``name`` dict setting for one test (pytest-django undoes it)."""
    if not request.config.pluginmanager.hasplugin("django"):
        pytest.fail(f"The {fixture} fixture needs pytest-django (pip install pytest-django).")
    settings = request.getfixturevalue("settings")
    setattr(settings, name, {**(getattr(settings, name, None) or {}), **values})


@pytest.fixture
def octy_settings(request: pytest.FixtureRequest, octy_server: FakeOcty) -> FakeOcty:
    """Point ``settings.OCTY`` at ``octy_server`` for one test; returns the server."""
    point_settings(
        request,
        "octy_settings",
        "OCTY",
        {
            "PUBLIC_KEY": octy_server.public_key,
            "SECRET_KEY": octy_server.secret_key,
            "BASE_URL": octy_server.url,
            "ALLOW_INSECURE_BASE_URL": True,
        },
    )
    return octy_server


@pytest.fixture
def octopus_server() -> Iterator[FakeOctopus]:
    """A fake Octopus server on 127.0.0.1, fresh for each test."""
    from .octopus import FakeOctopus

    with FakeOctopus() as crm:
        yield crm


@pytest.fixture
def octopus_settings(request: pytest.FixtureRequest, octopus_server: FakeOctopus) -> FakeOctopus:
    """Point ``settings.OCTOPUS`` at ``octopus_server`` (session auth) for one test."""
    point_settings(
        request,
        "octopus_settings",
        "OCTOPUS",
        {
            "BASE_URL": octopus_server.url,
            "DATABASE": octopus_server.database,
            "UID": octopus_server.uid,
            "PASSWORD": octopus_server.password,
            "ALLOW_INSECURE": True,
        },
    )
    return octopus_server
