"""The README's quick start, followed to the letter in a new project, syncs a model to Octy.

A project made by ``django-admin startproject`` gets an app with a ``Customer``
model (what "an existing project" already has), then exactly the README's
``settings.py`` and ``shop/octy.py`` blocks and its shell line. The only
additions are the test's: the fake Octy's keys in the environment and its
plain-http URL allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django_octy.schedule import BEAT_SCHEDULE
from django_octy.testing import FakeOcty
from tests.docs.samples import ROOT, Block, blocks

from .new_project import add_settings, clean_environment, manage, start_project, succeed

README = ROOT / "README.md"


def quick_start(language: str, file: str | None = None, containing: str = "") -> Block:
    """The one README block of ``language`` for project ``file`` that contains ``containing``."""
    found = [
        block
        for block in blocks(README)
        if block.language == language
        and block.attributes.get("file") == file
        and containing in block.code
    ]
    assert len(found) == 1, f"README.md must have one {language} block {file or containing}"
    return found[0]


def test_readme_quick_start_syncs_a_new_project(tmp_path: Path, octy_server: FakeOcty) -> None:
    env = clean_environment(
        OCTY_PUBLIC_KEY=octy_server.public_key,
        OCTY_SECRET_KEY=octy_server.secret_key,
        OCTY_BASE_URL=octy_server.url,
    )
    settings = start_project(tmp_path, env)
    add_settings(
        settings,
        quick_start("python", "settings.py").code
        + 'OCTY["ALLOW_INSECURE_BASE_URL"] = True  # the fake Octy speaks plain http\n',
    )
    (tmp_path / "shop" / "octy.py").write_text(quick_start("python", "shop/octy.py").code)
    succeed(manage("makemigrations", "shop"), tmp_path, env)
    succeed(manage("migrate"), tmp_path, env)
    create = (
        "from shop.models import Customer; Customer.objects.create(first_name='Ada', city='Oslo')"
    )
    succeed(manage("shell", "-c", create), tmp_path, env)

    succeed(["bash", "-c", quick_start("bash", containing="octy_resync").code], tmp_path, env)

    assert octy_server.profiles["1"]["profile_data"] == {"first_name": "Ada", "city": "Oslo"}


def test_readme_and_installation_schedule_what_django_octy_ships() -> None:
    """The sweep and the hourly pull of insights: the same entries as ``BEAT_SCHEDULE``."""
    pages = [README, ROOT / "docs" / "installation.md"]
    schedules = [
        block.code
        for page in pages
        for block in blocks(page)
        if block.attributes.get("file") == "settings.py" and "CELERY_BEAT_SCHEDULE" in block.code
    ]
    assert len(schedules) == 2
    for code in schedules:
        namespace: dict[str, Any] = {"INSTALLED_APPS": []}
        exec(code, namespace)
        assert namespace["CELERY_BEAT_SCHEDULE"] == BEAT_SCHEDULE
