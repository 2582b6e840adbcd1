"""The alert rules of docs/operations.md are valid PromQL and fire when they should.

Runs Prometheus' own ``promtool`` (``apt-get install prometheus``) where it is
installed: ``check rules`` on the page's rule group, then ``test rules`` with
the series and expected alerts of ``alert_rules_test.yml``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.docs.samples import ROOT

PROMTOOL = shutil.which("promtool")
HERE = Path(__file__).parent

pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed")


def rule_group() -> str:
    page = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", page, re.DOTALL)
    (rules,) = [block for block in blocks if "groups" in (yaml.safe_load(block) or {})]
    return rules


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60)


def test_the_rules_fire_on_the_series_they_watch(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(rule_group(), encoding="utf-8")
    shutil.copy(HERE / "alert_rules_test.yml", tmp_path)

    checked = promtool("check", "rules", str(tmp_path / "rules.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(tmp_path / "alert_rules_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
