"""The README's quick start, followed to the letter in a new project, syncs a model to Octy.

A project made by ``django-admin startproject`` gets an app with a ``Customer``
model (what "an existing project" already has), then exactly the README's
``settings.py`` and ``shop/octy.py`` blocks and its shell line. The only
additions are the test's: the fake Octy's keys in the environment and its
plain-http URL allowed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django_octy.testing import FakeOcty
from tests.docs.samples import ROOT, Block, blocks

README = ROOT / "README.md"

MODELS = """
from django.db import models


class Customer(models.Model):
    first_name = models.CharField(max_length=100)
    city = models.CharField(max_length=100)
"""


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


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_readme_quick_start_syncs_a_new_project(tmp_path: Path, octy_server: FakeOcty) -> None:
    python = sys.executable
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OCTY_"))},
        "PATH": f"{Path(python).parent}{os.pathsep}{os.environ['PATH']}",
        "OCTY_PUBLIC_KEY": octy_server.public_key,
        "OCTY_SECRET_KEY": octy_server.secret_key,
        "OCTY_BASE_URL": octy_server.url,
    }
    env.pop("DATABASE_URL", None)
    run([python, "-m", "django", "startproject", "mysite", str(tmp_path)], tmp_path, env)
    run([python, "manage.py", "startapp", "shop"], tmp_path, env)
    (tmp_path / "shop" / "models.py").write_text(MODELS)
    settings = tmp_path / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text()
        + '\nINSTALLED_APPS += ["shop"]\n'
        + quick_start("python", "settings.py").code
        + '\nOCTY["ALLOW_INSECURE_BASE_URL"] = True  # the fake Octy speaks plain http\n'
    )
    (tmp_path / "shop" / "octy.py").write_text(quick_start("python", "shop/octy.py").code)
    run([python, "manage.py", "makemigrations", "shop"], tmp_path, env)
    run([python, "manage.py", "migrate"], tmp_path, env)
    create = (
        "from shop.models import Customer; Customer.objects.create(first_name='Ada', city='Oslo')"
    )
    run([python, "manage.py", "shell", "-c", create], tmp_path, env)

    run(["bash", "-c", quick_start("bash", containing="octy_resync").code], tmp_path, env)

    assert octy_server.profiles["1"]["profile_data"] == {"first_name": "Ada", "city": "Oslo"}
