"""Fixtures of the command tests: the fake Octy with fast settings, and a command runner."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from django_octy.models import Profile
from django_octy.testing import FakeOcty
from tests.sync.conftest import octy, worker

__all__ = ["octy", "worker"]


@dataclass
class Run:
    """What one command run printed, and its exit code."""

    code: int
    stdout: str
    stderr: str


def run(name: str, *args: str) -> Run:
    """Run a command as ``manage.py`` does: a ``CommandError`` becomes its exit code."""
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command(name, *args, stdout=stdout, stderr=stderr)
    except CommandError as error:
        return Run(error.returncode, stdout.getvalue(), f"{stderr.getvalue()}{error}")
    return Run(0, stdout.getvalue(), stderr.getvalue())


@contextmanager
def running(name: str, *args: str, then: Callable[[], object]) -> Iterator[list[Run]]:
    """Run a command in a thread during the block; ``then`` runs when the block ends
    (releasing what the command waits on), before the command is waited for. The list
    holds its :class:`Run` once it finished."""
    finished: list[Run] = []

    def command() -> None:
        try:
            finished.append(run(name, *args))
        finally:
            connections.close_all()

    thread = threading.Thread(target=command)
    thread.start()
    try:
        yield finished
    finally:
        then()
        thread.join(timeout=60)


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m django <args>`` in a new process, as from a shell."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def requests_to(octy: FakeOcty, path: str) -> list[Any]:
    return [entry for entry in octy.request_log if entry.path == path]


PROFILES = "/v1/retention/profiles/create"


@pytest.fixture
def forget_checkpoints() -> None:
    """A resync keeps its checkpoints in the cache: each test starts afresh."""
    cache.clear()


def make_profiles(count: int, **fields: Any) -> None:
    Profile.objects.bulk_create(Profile(customer_id=f"c{n:06d}", **fields) for n in range(count))
