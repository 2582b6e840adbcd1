"""Every relative link of README.md and docs/*.md leads to a file, and to a heading there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .samples import PAGES, ROOT, blocks

LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*$")


def anchor(title: str) -> str:
    """The anchor a Markdown renderer (GitHub's) gives a heading."""
    slug = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return slug.replace(" ", "-")


def prose(page: Path) -> str:
    """The page without its fenced code blocks."""
    text = page.read_text(encoding="utf-8")
    for block in blocks(page):
        text = text.replace(block.code, "")
    return text


def anchors(page: Path) -> set[str]:
    headings = (HEADING.match(line) for line in prose(page).splitlines())
    return {anchor(found["title"]) for found in headings if found}


def local_links(page: Path) -> list[str]:
    return [
        found["target"]
        for found in LINK.finditer(prose(page))
        if not found["target"].startswith(("http://", "https://", "mailto:", "<"))
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_local_links_resolve(page: Path) -> None:
    broken = []
    for target in local_links(page):
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target} (no such file)")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{page.relative_to(ROOT)} links to: {broken}"
