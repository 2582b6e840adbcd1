"""The documentation site (mkdocs.yml): every page in the nav, and a strict build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .samples import ROOT

CONFIG = ROOT / "mkdocs.yml"


def nav_pages(entries: list[Any]) -> list[str]:
    """The files named by an MkDocs nav, in order (sections flattened)."""
    pages: list[str] = []
    for entry in entries:
        target = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages.extend(nav_pages(target) if isinstance(target, list) else [target])
    return pages


def test_the_nav_lists_every_page_once() -> None:
    pages = nav_pages(yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["nav"])
    on_disk = sorted(str(page.relative_to(ROOT / "docs")) for page in (ROOT / "docs").glob("*.md"))
    assert sorted(pages) == on_disk
    assert len(pages) == len(set(pages))


def build(source: Path) -> subprocess.CompletedProcess[str]:
    """``mkdocs build`` of a copy of the site's sources (strict, as mkdocs.yml says)."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(source / "site")],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    for name in ("mkdocs.yml", "mkdocs_hooks.py", "CHANGELOG.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_site_builds_strictly(sources: Path) -> None:
    done = build(sources)
    assert done.returncode == 0, done.stderr
    page = (sources / "site" / "installation" / "index.html").read_text(encoding="utf-8")
    assert '<span class="filename">mysite/celery.py</span>' in page, "file= is the block's title"


@pytest.mark.parametrize(
    "broken", ["[gone](nowhere.md)", "[gone](installation.md#no-such-heading)"]
)
def test_a_broken_link_fails_the_build(sources: Path, broken: str) -> None:
    index = sources / "docs" / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + f"\nSee {broken}.\n", encoding="utf-8")
    done = build(sources)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Aborted" in output and broken.split("(")[1].rstrip(")") in output
