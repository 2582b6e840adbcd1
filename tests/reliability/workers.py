"""Celery workers in their own OS processes, for scenarios that kill them or run several.

A worker is ``celery -A tests.celery_app worker --pool solo``: the process runs one
task at a time itself, so a SIGKILL ends the push in flight with it, as when a
machine dies. Its settings are ``tests.reliability.worker_settings``, given the
database, the broker and the ``OCTY`` overrides (fake Octy, lease) of the
process that starts it.

    env = worker_environment(database_url_of(connection.settings_dict), broker, octy_overrides)
    with running_workers(2, env, tmp_path) as workers:
        workers[0].kill()
        workers[0].start()
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]

SETTINGS_MODULE = "tests.reliability.worker_settings"

READY_LINE = " ready."
"""What a Celery worker logs once it consumes."""


def database_url_of(settings_dict: Mapping[str, Any]) -> str:
    """A ``DATABASE_URL`` for the SQLite file or PostgreSQL database a Django connection uses.

    Raises ``ValueError`` for another engine (or an in-memory SQLite database), which
    a second process could not open.
    """
    engine, name = settings_dict["ENGINE"], settings_dict["NAME"]
    if engine == "django.db.backends.sqlite3" and str(name) != ":memory:":
        return f"sqlite:///{name}"
    if engine != "django.db.backends.postgresql":
        raise ValueError(f"a worker process cannot open this {engine} database")
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD")
    credentials = f"{user}:{quote(password)}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{name}"


def worker_environment(
    database_url: str, broker_url: str, octy: Mapping[str, Any]
) -> dict[str, str]:
    """The environment of a worker process; ``octy`` overrides keys of the test ``OCTY``."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "OCTY_SETTINGS": json.dumps(dict(octy)),
        "PYTHONPATH": str(ROOT),
    }


class WorkerProcess:
    """One Celery worker process that can be started, killed and started again."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def __repr__(self) -> str:
        return f"<WorkerProcess {self.name} pid={self.pid}>"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.celery_app",
            "worker",
            "--pool",
            "solo",
            "--include",
            "django_octy.tasks",
            "--hostname",
            f"{self.name}-{self.starts}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]

    def start(self, timeout: float = 60.0) -> None:
        """Start the process and wait until it consumes from the broker."""
        if self.process is not None:
            raise RuntimeError(f"{self!r} is running already")
        self.starts += 1
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_ready(offset, timeout)

    def _wait_ready(self, offset: int, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while READY_LINE not in self.log_since(offset):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Worker {self.name} did not start:\n{self.log_tail()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, the push in flight cut short."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self, timeout: float = 60.0) -> None:
        """A warm shutdown (SIGTERM: the task in flight finishes), killed if it lingers."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log_since(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_since(0).splitlines()[-lines:])


@contextmanager
def running_workers(
    count: int, env: Mapping[str, str], log_dir: Path, prefix: str = "worker"
) -> Iterator[list[WorkerProcess]]:
    """``count`` started worker processes, all stopped at the end whatever happens."""
    workers = [WorkerProcess(f"{prefix}{n}", env, log_dir) for n in range(1, count + 1)]
    with ExitStack() as stack:
        for worker in workers:
            stack.callback(worker.stop)
            worker.start()
        yield workers
