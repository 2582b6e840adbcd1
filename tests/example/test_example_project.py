"""The example project: its settings, a customer's visit, and the demo, each in a subprocess.

The shop runs with its own settings (not the test suite's), so every test here
starts Python afresh in ``example_project/``, on SQLite in a temporary
directory and kombu's filesystem broker.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from django_octy.testing import FakeOcty

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "example_project"
SMALL_DEMO = {
    "DEMO_NO_SERVE": "1",
    "DEMO_CUSTOMERS": "40",
    "DEMO_PRODUCTS": "15",
    "DEMO_ORDERS": "120",
    "DEMO_PAGE_VIEWS": "150",
    "DEMO_LOGINS": "30",
    "DEMO_TIMEOUT": "90",
}


def shop_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a bare machine: nothing set but where the shop keeps its files."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "CELERY_", "OCTY_", "DJANGO_", "DEMO_"))
    }
    return {**env, "SHOP_VAR_DIR": str(var_dir), "DEMO_VAR_DIR": str(var_dir), **extra}


def run(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


SHOW_SETTINGS = """
import json
from config import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "broker": settings.CELERY_BROKER_URL,
    "beat": sorted(settings.CELERY_BEAT_SCHEDULE),
}))
"""


def shown_settings(env: dict[str, str]) -> dict[str, object]:
    done = run(["-c", SHOW_SETTINGS], env)
    assert done.returncode == 0, done.stderr
    loaded: dict[str, object] = json.loads(done.stdout)
    return loaded


def test_settings_need_no_server_by_default(tmp_path: Path) -> None:
    shown = shown_settings(shop_env(tmp_path))
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["name"] == str(tmp_path / "shop.sqlite3")
    assert shown["broker"] == "filesystem://"
    assert shown["beat"] == ["django-octy-prune", "django-octy-pull-insights", "django-octy-sweep"]


def test_settings_use_postgres_and_redis_when_given(tmp_path: Path) -> None:
    env = shop_env(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/shop",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
    )
    shown = shown_settings(env)
    assert shown["engine"] == "django.db.backends.postgresql"
    assert shown["name"] == "shop"
    assert shown["broker"] == "redis://127.0.0.1:6379/3"


def test_a_customer_visit_reaches_octy_and_gets_recommendations(tmp_path: Path) -> None:
    done = run([str(ROOT / "tests" / "example" / "shop_scenario.py")], shop_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The shop scenario passed." in done.stdout


def test_the_shop_shows_what_octy_computed_and_what_it_refused(tmp_path: Path) -> None:
    done = run([str(ROOT / "tests" / "example" / "insights_scenario.py")], shop_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The insights scenario passed." in done.stdout


@pytest.mark.integration
def test_demo_without_serving_pushes_everything_and_exits_0(tmp_path: Path) -> None:
    done = run(["demo.py"], shop_env(tmp_path, **SMALL_DEMO), timeout=240)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Everything reached Octy, apart from the 3 events it refused as expected" in (
        done.stdout
    )
    assert "(expected: 3 events of an undeclared type)" in done.stdout
    assert "Churn probability, as Octy computed it:" in done.stdout
    assert '"high": ' in done.stdout  # the lapsed customers
    assert "PROBLEM" not in done.stderr
    assert "Superuser: admin / octy-demo" in done.stdout
    for entity in ("profile", "item", "event"):
        assert f"\n{entity} " in done.stdout
    assert "Stopped the Celery worker" in done.stdout


@pytest.mark.integration
def test_demo_fails_when_octy_refuses_an_object(tmp_path: Path, octy_server: FakeOcty) -> None:
    octy_server.reject_object("sku-00007", "Item blocked")
    env = shop_env(
        tmp_path,
        **SMALL_DEMO,
        OCTY_BASE_URL=octy_server.url,
        OCTY_PUBLIC_KEY=octy_server.public_key,
        OCTY_SECRET_KEY=octy_server.secret_key,
        OCTY_ALLOW_INSECURE_BASE_URL="1",
    )

    done = run(["demo.py"], env, timeout=240)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "PROBLEM: item sku-00007" in done.stderr
    assert "Item blocked" in done.stderr
    assert octy_server.secret_key not in done.stdout + done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_line(process: subprocess.Popen[str], text: str, timeout: float = 120) -> list[str]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if text in line:
            return lines
        if not line and process.poll() is not None:
            break
    pytest.fail(f"{text!r} never came; the demo printed:\n{''.join(lines)}")


@pytest.mark.integration
def test_demo_serves_the_shop_and_admin_until_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = shop_env(tmp_path, **{**SMALL_DEMO, "DEMO_NO_SERVE": ""}, DEMO_PORT=str(port))
    demo = subprocess.Popen(
        [sys.executable, "demo.py"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for_line(demo, "Press Ctrl-C to stop.")
        pages = {}
        for path in ("/", "/admin/login/"):
            deadline = time.monotonic() + 30
            while path not in pages:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
                        pages[path] = response.read().decode()
                except OSError:
                    assert time.monotonic() < deadline, f"{path} was never served"
                    time.sleep(0.2)
        assert "Recommended for you" in pages["/"]
        assert "Django administration" in pages["/admin/login/"]
    finally:
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)

    assert demo.returncode == 0
    for name in ("web server", "Celery beat", "Celery worker", "fake Octy"):
        assert f"Stopped the {name}" in rest
