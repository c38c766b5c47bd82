"""The README's reference tables follow the code: a status a user sees is explained there."""

from __future__ import annotations

import re
from pathlib import Path

from uktrace.model.timeline import Status

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_status_has_a_row_in_the_readme() -> None:
    text = README.read_text()
    start = text.index("| status | what it means |")
    rows = re.findall(r"^\| `(\w+)` \|", text[start : text.index("\n\n", start)], re.MULTILINE)
    # the TUI's own: `waiting` for a guest `-j` holds back, `stopping` until a stopped VMM is gone
    assert {status.value for status in Status} | {"waiting", "stopping"} <= set(rows)
    assert len(rows) == len(set(rows))
