"""``python -m django_octy.testing`` serves until SIGINT/SIGTERM and exits with 0."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import pytest
import requests


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "django_octy.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    printed: dict[str, str] = {}
    for line in process.stdout:
        if "=" in line:
            key, _, value = line.strip().partition("=")
            printed[key] = value
        if "OCTY_SECRET_KEY" in printed:
            break
    return process, printed


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_standalone_server_answers_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    process, printed = _start("--public-key", "pk_test_cli", "--latency", "0.01")
    try:
        url = printed["OCTY_BASE_URL"]
        assert url.startswith("http://127.0.0.1:")
        assert printed["OCTY_PUBLIC_KEY"] == "pk_test_cli"
        secret = printed["OCTY_SECRET_KEY"]
        assert secret.startswith("sk_test_")
        ok = requests.get(url + "/v1/account/authenticate", auth=("pk_test_cli", secret), timeout=5)
        assert ok.status_code == 200
        assert requests.get(url + "/_fake/state", timeout=5).json()["latency"] == 0.01
    finally:
        process.send_signal(stop_signal)
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Fake Octy stopped" in output


def test_a_given_secret_key_is_not_printed() -> None:
    process, printed = _start("--secret-key", "sk_test_given")
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=10)
    assert printed["OCTY_SECRET_KEY"] == "(as given)"
    assert "sk_test_given" not in output
    assert process.returncode == 0


def test_a_busy_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [sys.executable, "-m", "django_octy.testing", "--port", port],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr


WITHOUT_WERKZEUG = """
import runpy, sys
sys.modules["werkzeug"] = None  # as in a project without the testing extra
sys.argv = ["python -m django_octy.testing", "--port", "0"]
runpy.run_module("django_octy.testing", run_name="__main__", alter_sys=True)
"""


def test_without_the_testing_extra_it_says_what_to_install() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_WERKZEUG], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert 'werkzeug, which is not installed: pip install "django-octy[testing]"' in done.stderr
    assert "Traceback" not in done.stderr


def test_without_the_testing_extra_importing_the_fake_says_what_to_install() -> None:
    code = 'import sys; sys.modules["werkzeug"] = None; from django_octy.testing import FakeOcty'
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert 'pip install "django-octy[testing]"' in done.stderr
