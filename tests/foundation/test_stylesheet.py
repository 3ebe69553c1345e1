"""The stylesheet is whole: a block left open swallows every rule after it, silently (a
browser reads the rest as part of an unfinished ``@media`` block)."""

from __future__ import annotations

import re
from pathlib import Path

STYLESHEET = Path(__file__).parents[2] / "registration" / "static" / "css" / "site.css"


def test_every_block_that_opens_closes():
    text = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(encoding="utf-8"), flags=re.S)
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("@media"):
            assert depth == 0, f"line {number}: a @media block inside another block"
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"line {number} closes a block that is not open"
    assert depth == 0, "a block is left open at the end"
