"""A new Django project, made by ``startproject`` in a temporary directory and run in
subprocesses, as a new user's project is: what a test may add to it is only what a page
of the documentation tells its reader to add."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PYTHON = sys.executable

MODELS = """
from django.db import models


class Customer(models.Model):
    first_name = models.CharField(max_length=100)
    city = models.CharField(max_length=100)
"""


def clean_environment(**variables: str) -> dict[str, str]:
    """This process's environment without the suite's Django, Octy and database settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "OCTY_", "OCTOPUS_")) and key != "DATABASE_URL"
    }
    env["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{os.environ['PATH']}"
    return {**env, **variables}


def run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def succeed(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = run(args, cwd, env)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def manage(*args: str) -> list[str]:
    return [PYTHON, "manage.py", *args]


def start_project(path: Path, env: dict[str, str]) -> Path:
    """``mysite`` with a ``shop`` app that has a ``Customer`` (what an existing project
    already has); returns its settings file."""
    succeed([PYTHON, "-m", "django", "startproject", "mysite", str(path)], path, env)
    succeed(manage("startapp", "shop"), path, env)
    (path / "shop" / "models.py").write_text(MODELS)
    settings = path / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + '\nINSTALLED_APPS += ["shop"]\n')
    return settings


def add_settings(settings: Path, code: str) -> None:
    settings.write_text(settings.read_text() + "\n" + code)
