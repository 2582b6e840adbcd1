"""The pytest plugin: ``octy_server`` and ``octy_settings``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import requests
from django.conf import settings

from django_octy.conf import settings as octy_conf
from django_octy.testing import FakeOcty


def test_octy_server_is_running_and_fresh(octy_server: FakeOcty) -> None:
    assert octy_server.profiles == {} and octy_server.request_log == []
    response = requests.get(
        octy_server.url + "/v1/account/authenticate",
        auth=(octy_server.public_key, octy_server.secret_key),
        timeout=5,
    )
    assert response.status_code == 200


def test_octy_settings_points_django_at_the_server(octy_settings: FakeOcty) -> None:
    assert settings.OCTY["BASE_URL"] == octy_settings.url
    assert settings.OCTY["PUBLIC_KEY"] == octy_settings.public_key
    assert settings.OCTY["SECRET_KEY"] == octy_settings.secret_key
    assert settings.OCTY["ALLOW_INSECURE_BASE_URL"] is True
    assert octy_settings.url == octy_conf.BASE_URL


def test_octy_settings_keeps_other_keys_and_is_undone_after(tmp_path: Path) -> None:
    result = _run_pytest(
        tmp_path,
        """
        from django.conf import settings

        def test_keeps(octy_settings):
            assert settings.OCTY["BATCH_SIZE"] == 100
            assert settings.OCTY["BASE_URL"] == octy_settings.url

        def test_after():
            assert settings.OCTY["BASE_URL"] == "http://127.0.0.1:1"
        """,
        settings_module="""
        SECRET_KEY = "x"
        INSTALLED_APPS = []
        OCTY = {"BATCH_SIZE": 100, "BASE_URL": "http://127.0.0.1:1"}
        """,
    )
    assert result.returncode == 0, result.stdout


def test_plugin_works_without_pytest_django_or_settings(tmp_path: Path) -> None:
    result = _run_pytest(
        tmp_path,
        """
        import requests

        def test_server(octy_server):
            assert requests.get(octy_server.url + "/v1/account/authenticate").status_code == 401

        def test_settings_needs_pytest_django(octy_settings):
            pass
        """,
        extra_args=("-p", "no:django"),
    )
    assert result.returncode == 1, result.stdout
    assert "1 passed, 1 error" in result.stdout
    assert "octy_settings fixture needs pytest-django" in result.stdout


def test_plugin_module_imports_neither_django_nor_werkzeug() -> None:
    code = (
        "import sys; sys.modules['django'] = None; sys.modules['werkzeug'] = None; "
        "import django_octy.testing.pytest_plugin"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def _run_pytest(
    directory: Path,
    tests: str,
    settings_module: str | None = None,
    extra_args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    (directory / "test_sample.py").write_text(textwrap.dedent(tests))
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra_args]
    if settings_module is not None:
        (directory / "sample_settings.py").write_text(textwrap.dedent(settings_module))
        args += ["--ds", "sample_settings"]
    return subprocess.run(
        [*args, "test_sample.py"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        env=_environment(directory),
    )


def _environment(directory: Path) -> dict[str, str]:
    """This environment without Django settings, importing from ``directory``."""
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment["PYTHONPATH"] = str(directory)
    return environment
