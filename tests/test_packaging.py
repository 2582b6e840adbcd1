"""What the package declares and ships: extras that are enough, the sdist, the README as the
package index shows it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import kombu.transport.redis

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
