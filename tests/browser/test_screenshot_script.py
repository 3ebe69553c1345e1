"""``make screenshots`` still walks the pages it shows: the README's pictures must be
taken afresh whenever the pages change, and a script that no longer finds its way
through them (a button moved, a step added) leaves the README showing the past."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.processes]

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_the_script_takes_every_picture_the_readme_shows(tmp_path: Path):
    shown = set(
        re.findall(r"docs/screenshots/([\w-]+\.png)", (PROJECT_ROOT / "README.md").read_text())
    )

    # A process of its own: it drives Chromium with a Playwright of its own.
    run = subprocess.run(
        [sys.executable, "-m", "scripts.screenshots", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    taken = {path.name for path in tmp_path.glob("*.png")}
    assert shown, "the README shows no screenshots"
    assert shown <= taken, f"not taken: {sorted(shown - taken)}"
