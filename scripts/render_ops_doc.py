"""Rewrite the element-wise tables of docs/ops.md from the table's rows.

Each ``<!-- table: KIND -->`` ... ``<!-- /table -->`` block of docs/ops.md is
replaced by :func:`tinygrad_mlp.elementwise.markdown_table` of that kind, so the
page shows each row's math as the table holds it (tests/test_ops_package.py fails
when the two differ).

    python scripts/render_ops_doc.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinygrad_mlp.elementwise import markdown_table  # noqa: E402

BLOCK = re.compile(r"<!-- table: (\w+) -->\n.*?<!-- /table -->", re.S)


def render(text: str) -> str:
    """``text`` with every table block rendered afresh from the element-wise table."""

    def block(match: re.Match) -> str:
        kind = match.group(1)
        return f"<!-- table: {kind} -->\n{markdown_table(kind)}\n<!-- /table -->"

    return BLOCK.sub(block, text)


if __name__ == "__main__":
    page = ROOT / "docs" / "ops.md"
    page.write_text(render(page.read_text()))
