"""docs/octopus.md documents every OCTOPUS setting with its real default."""

from __future__ import annotations

import re

from django_octy.conf import OCTOPUS_DEFAULTS
from tests.docs.samples import ROOT

ROW = re.compile(r"^\| (?P<keys>`[A-Z_]+`(?:, `[A-Z_]+`)*) \| `(?P<default>[^`]*)` \| .+ \|$")


def documented() -> dict[str, str]:
    text = (ROOT / "docs" / "octopus.md").read_text(encoding="utf-8")
    found = {}
    for row in filter(None, (ROW.match(line) for line in text.splitlines())):
        for key in re.findall(r"`([A-Z_]+)`", row["keys"]):
            found[key] = row["default"]
    return found


def shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def test_every_octopus_setting_is_documented_with_its_default() -> None:
    assert documented() == {key: shown(value) for key, value in OCTOPUS_DEFAULTS.items()}
