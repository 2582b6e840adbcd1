"""A project builds without Octy keys, and refuses to serve or work without them.

A Docker build or a CI job has no secrets: ``migrate`` and ``collectstatic`` must
not exit 1 there. ``runserver`` and a Celery worker with syncing on do need the
keys, and refuse to start, saying which are missing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.docs.samples import ROOT, blocks

from .new_project import PYTHON, add_settings, clean_environment, manage, run, start_project

INSTALLATION = ROOT / "docs" / "installation.md"


def installation_file(name: str) -> str:
    """The code of the docs/installation.md block for the reader's project file ``name``."""
    found = [b.code for b in blocks(INSTALLATION) if b.attributes.get("file") == name]
    assert len(found) == 1, f"docs/installation.md must have one block for {name}"
    return found[0]


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A project with django-octy and a Celery app, as docs/installation.md sets them up."""
    env = clean_environment()
    settings = start_project(tmp_path, env)
    add_settings(
        settings,
        'INSTALLED_APPS += ["rest_framework", "django_octy"]\n'
        'STATIC_ROOT = BASE_DIR / "static"\n'
        'CELERY_BROKER_URL = "memory://"\n',
    )
    (tmp_path / "mysite" / "celery.py").write_text(installation_file("mysite/celery.py"))
    (tmp_path / "mysite" / "__init__.py").write_text(installation_file("mysite/__init__.py"))
    return tmp_path, env


def test_a_docker_style_build_needs_no_keys(project: tuple[Path, dict[str, str]]) -> None:
    path, env = project
    for command in (["migrate"], ["collectstatic", "--noinput"], ["check"]):
        done = run(manage(*command), path, env)
        assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    assert (path / "static" / "admin").is_dir()
    assert "django_octy.W007" in done.stderr, "check says that nothing will reach Octy"


def refusal(args: list[str], path: Path, env: dict[str, str]) -> str:
    """The output of a process that must exit at once, with an error; not serve."""
    try:
        done = run(args, path, env, timeout=60)
    except subprocess.TimeoutExpired as running:
        pytest.fail(f"{args} started without keys:\n{running.stdout!r}\n{running.stderr!r}")
    assert done.returncode != 0
    return done.stdout + done.stderr


def test_runserver_without_keys_refuses(project: tuple[Path, dict[str, str]]) -> None:
    path, env = project
    output = refusal(manage("runserver", "--noreload", "127.0.0.1:0"), path, env)
    assert "django_octy.E001" in output and "django_octy.E002" in output


def test_a_celery_worker_without_keys_refuses(project: tuple[Path, dict[str, str]]) -> None:
    path, env = project
    worker = [PYTHON, "-m", "celery", "-A", "mysite", "worker", "--pool", "solo"]
    output = refusal(worker, path, env)
    assert "refuses to start" in output
    assert 'OCTY["PUBLIC_KEY"] is not set' in output and "OCTY_SECRET_KEY" in output
