"""docs/installation.md documents every OCTY setting with its real default."""

from __future__ import annotations

import re
from typing import Any

import pytest

from django_octy.conf import DEFAULTS

from .samples import ROOT

ROW = re.compile(r"^\| `(?P<key>[A-Z_]+)` \| `(?P<default>[^`]*)` \| (?P<meaning>.+) \|$")


def documented() -> dict[str, tuple[str, str]]:
    text = (ROOT / "docs" / "installation.md").read_text(encoding="utf-8")
    rows = (ROW.match(line) for line in text.splitlines())
    return {row["key"]: (row["default"], row["meaning"]) for row in rows if row}


def shown(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def test_every_setting_is_documented_and_nothing_else() -> None:
    assert sorted(documented()) == sorted(DEFAULTS)


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_documented_default_is_the_real_one(key: str) -> None:
    default, meaning = documented().get(key, ("(missing)", ""))
    assert default == shown(DEFAULTS[key])
    assert meaning.strip()
