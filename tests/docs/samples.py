"""Reading the fenced code blocks of the documentation.

The convention every page follows (``docs/index.md`` explains it to writers):

- ```` ```python ```` blocks run, in page order, in one namespace per page;
- ```` ```python file=PATH ```` blocks are (parts of) files of the reader's
  project, such as ``settings.py``: they must compile, and the quick start's
  are applied to a real project by ``tests/test_quickstart.py``;
- ```` ```json ```` and ```` ```yaml ```` blocks must parse;
- shell sessions and other text use one of :data:`NOT_RUN`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

NOT_RUN = frozenset(
    {"bash", "console", "shell", "text", "ini", "toml", "html", "javascript", "diff", "sql"}
)
CHECKED = frozenset({"python", "json", "yaml"})

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    attributes: dict[str, str] = field(default_factory=dict)
    code: str = ""

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def is_project_file(self) -> bool:
        return "file" in self.attributes


def parse_info(info: str) -> tuple[str, dict[str, str]]:
    words = shlex.split(info.strip())
    if not words:
        return "", {}
    attributes = dict(word.split("=", 1) if "=" in word else (word, "") for word in words[1:])
    return words[0], attributes


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, dedented to their fence."""
    found = []
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        index += 1
        if not opening:
            continue
        indent, fence = opening["indent"], opening["fence"]
        language, attributes = parse_info(opening["info"])
        start, body = index, []
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index].removeprefix(indent))
            index += 1
        index += 1
        found.append(Block(page, start, language, attributes, "\n".join(body) + "\n"))
    return found


def all_blocks() -> list[Block]:
    return [block for page in PAGES for block in blocks(page)]
