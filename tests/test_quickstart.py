"""A new user's walk: the README's quick start, then the standalone fake Octy of
docs/testing.md, followed to the letter in a new project.

A project made by ``django-admin startproject`` gets an app with a ``Customer``
model (what "an existing project" already has); everything else comes from the
pages the user is on: their code blocks, and the lines the fake prints.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from django_octy.schedule import BEAT_SCHEDULE
from tests.docs.samples import ROOT, Block, blocks

from .new_project import (
    PYTHON,
    add_settings,
    clean_environment,
    manage,
    run,
    start_project,
    succeed,
)

README = ROOT / "README.md"
TESTING = ROOT / "docs" / "testing.md"


def page_block(page: Path, language: str, containing: str, file: str | None = None) -> Block:
    """The one ``language`` block of ``page`` (for project ``file``) with ``containing``."""
    found = [
        block
        for block in blocks(page)
        if block.language == language
        and block.attributes.get("file") == file
        and containing in block.code
    ]
    assert len(found) == 1, f"{page.name} must have one {language} block with {containing!r}"
    return found[0]


@pytest.fixture
def standalone_fake(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The fake Octy started as docs/testing.md says, on the port the OS picks (``--port 0``,
    which the page names); what it prints as ``NAME=value`` lines."""
    command = page_block(TESTING, "bash", "python -m django_octy.testing").code.split()
    command[command.index("--port") + 1] = "0"
    assert command[0] == "python"
    process = subprocess.Popen(
        [PYTHON, *command[1:]], stdout=subprocess.PIPE, text=True, env=clean_environment()
    )
    assert process.stdout is not None
    printed: dict[str, str] = {}
    for line in process.stdout:
        name, equals, value = line.strip().partition("=")
        if equals:
            printed[name] = value
        if "OCTY_SECRET_KEY" in printed:
            break
    try:
        yield printed
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_new_user_follows_readme_then_the_standalone_fake(
    tmp_path: Path, standalone_fake: dict[str, str]
) -> None:
    """README -> quick start -> "running the fake on its own", using only what they say.

    The project gets exactly the README's ``settings.py`` and ``shop/octy.py`` and its
    shell line, and the three lines the fake prints in its environment. Before the
    testing page's setting is added, the error the user sees names it; after, the same
    command pushes, and the alarm the failure raised is over.
    """
    assert sorted(standalone_fake) == ["OCTY_BASE_URL", "OCTY_PUBLIC_KEY", "OCTY_SECRET_KEY"]
    env = clean_environment(**standalone_fake)
    settings = start_project(tmp_path, env)
    add_settings(settings, page_block(README, "python", "OCTY", file="settings.py").code)
    octy_py = page_block(README, "python", "ProfileSource", file="shop/octy.py").code
    (tmp_path / "shop" / "octy.py").write_text(octy_py)
    succeed(manage("makemigrations", "shop"), tmp_path, env)
    create = (
        "from shop.models import Customer; Customer.objects.create(first_name='Ada', city='Oslo')"
    )
    succeed(manage("migrate"), tmp_path, env)
    succeed(manage("shell", "-c", create), tmp_path, env)
    push = ["bash", "-c", page_block(README, "bash", "octy_resync").code]

    refused = run(push, tmp_path, env)

    assert refused.returncode == 1
    assert 'set OCTY["ALLOW_INSECURE_BASE_URL"] = True' in refused.stderr
    assert "django_octy.W003" in run(manage("check", "--database", "default"), tmp_path, env).stderr

    allow = page_block(TESTING, "python", "ALLOW_INSECURE_BASE_URL", file="settings.py").code
    add_settings(settings, allow)

    checked = run(manage("check", "--database", "default"), tmp_path, env)
    assert "W003" not in checked.stderr, "the alarm is over once the setting is there"
    succeed(push, tmp_path, env)
    profiles = requests.get(f"{standalone_fake['OCTY_BASE_URL']}/_fake/profiles", timeout=10)
    [ada] = profiles.json()["profiles"]
    assert ada["profile_data"] == {"first_name": "Ada", "city": "Oslo"}


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
