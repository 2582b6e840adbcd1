"""What the package declares and ships: extras that are enough, the sdist, the README as the
package index shows it."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import kombu.transport.redis
import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def distribution_names(requirements: list[str]) -> set[str]:
    """The normalised distribution names of requirement strings (``redis>=5.0`` -> ``redis``)."""
    names = (re.match(r"[A-Za-z0-9._-]+", requirement) for requirement in requirements)
    return {re.sub(r"[-_.]+", "-", name[0]).lower() for name in names if name}


def imported_modules(path: Path) -> set[str]:
    """The top-level names of every absolute import in a module, wherever it is."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.partition(".")[0])
    return found


def test_the_redis_extra_installs_what_kombu_s_redis_transport_imports() -> None:
    """kombu's Redis transport imports ``packaging`` without declaring it."""
    providers = metadata.packages_distributions()
    modules = imported_modules(Path(kombu.transport.redis.__file__)) - sys.stdlib_module_names
    needed = distribution_names([d for m in modules for d in providers.get(m, [m])])
    always = [r for r in metadata.requires("kombu") or [] if "extra ==" not in r]
    kombu_brings = distribution_names(["kombu", *always])

    redis_extra = distribution_names(PYPROJECT["project"]["optional-dependencies"]["redis"])

    assert needed - kombu_brings <= redis_extra
    assert "packaging" in needed


def test_make_tox_hands_pyenv_s_interpreters_to_tox() -> None:
    """tox looks for ``python3.12`` on PATH, where pyenv's shim fails for a version that
    is installed but not selected: ``make tox`` names the interpreters."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        pytest.skip("pyenv is not installed here")
    root = Path(subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip())
    installed = sorted(str(p) for p in root.glob("versions/3.1[23]*/bin/python3.1[23]"))
    if not installed:
        pytest.skip("pyenv has no Python 3.12 or 3.13 here")

    dry_run = subprocess.run(
        ["make", "--dry-run", "tox"], cwd=ROOT, capture_output=True, text=True, check=True
    )

    command = next(line for line in dry_run.stdout.splitlines() if "tox run" in line).split()
    discovered = command[command.index("--discover") + 1 :]
    assert set(installed) <= set(discovered)
