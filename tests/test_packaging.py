"""What the package declares and ships: extras that are enough, the sdist, the README as the
package index shows it."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from importlib import metadata
from pathlib import Path

import kombu.transport.redis
import pytest

from tests.docs.test_links import LINK, anchors, prose

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
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


REPOSITORY = PYPROJECT["project"]["urls"]["Repository"]
IN_REPOSITORY = (f"{REPOSITORY}/blob/main/", f"{REPOSITORY}/tree/main/")
RAW = REPOSITORY.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main/"


def test_the_readme_links_work_on_the_package_index() -> None:
    """The index shows README.md away from the repository: every link and image is absolute,
    and the repository's own (at the one URL of pyproject.toml) name files that exist."""
    targets = [found["target"] for found in LINK.finditer(prose(README))]
    relative = [target for target in targets if not target.startswith(("https://", "mailto:"))]
    assert not relative

    broken = []
    for target in targets:
        if target.startswith(IN_REPOSITORY):
            path, _, fragment = target.split("/main/", 1)[1].partition("#")
        elif target.startswith(RAW):
            path, fragment = target.removeprefix(RAW), ""
        else:
            assert "github.com" not in target, f"{target} is not under {REPOSITORY}"
            continue
        linked = ROOT / path
        if not linked.exists() or (fragment and fragment not in anchors(linked)):
            broken.append(target)
    assert not broken
    assert any(target.startswith(RAW) for target in targets), "the screenshot"


def test_the_source_distribution_carries_licence_changelog_and_docs(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=300,
    )
    [sdist] = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}

    docs = {str(page.relative_to(ROOT)) for page in (ROOT / "docs").rglob("*") if page.is_file()}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "mkdocs.yml", *docs} <= names
    assert not [name for name in names if name.startswith(("tests/", "benchmarks/", "example"))]
    assert "django_octy/templates/admin/django_octy/dashboard.html" in names
