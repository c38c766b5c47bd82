"""What the README says a run prints and records is what a real run prints and records."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.integration.conftest import run_json
from tests.integration.test_calls import CONSTRUCTORS, INIT_FUNCTIONS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def listed(text: str) -> set[str]:
    """`name, source, phases[{name,start}], calls[...]` → the top-level names."""
    return set(re.findall(r"\w+", re.sub(r"\[[^\]]*\]", "", text)))


def after(marker: str) -> str:
    """The first backticked list after `marker` in the README (lines joined)."""
    start = README.index(marker) + len(marker)
    match = re.compile(r"`([^`]*)`").search(README, start)
    assert match is not None, marker
    return " ".join(match[1].split())


def table_row(name: str) -> set[str]:
    """The backticked names a row of the recording's file table lists, the notes in parentheses left out."""
    row = next(line for line in README.splitlines() if line.startswith(f"| `{name}` |"))
    content = row.split("|")[2]
    return set(re.findall(r"`(\w+)`", re.sub(r"\([^()]*\)", "", content)))


def test_the_readme_lists_the_fields_a_run_prints_and_records(tmp_path: Path, share: Path) -> None:
    record = tmp_path / "rec"
    result, process = run_json("--fs", str(share), "--record", str(record))
    assert process.returncode == 0, process.stderr
    (guest,) = result["guests"]
    paragraph = README[README.index('`--json` prints `{"format": 1, "guests": [...], "summary": {...}}`') :]
    assert listed(after("per guest the `parse` fields\n(")) | {"host", "times", "cpu", "script", "console"} == set(
        guest
    )
    host = listed(after("plus `host` (")) | {"node", "stream"}  # `and on a cluster `node` and `stream``
    assert host == set(guest["host"])
    assert listed(after("the summary has (")) == set(result["summary"]) - {"cluster"}
    assert "`cluster`" in paragraph[: paragraph.index("Exit status:")]
    # `calls`: named from the kernel's symbols in `run --json`, as the README says
    assert [call["name"] for call in guest["calls"]] == CONSTRUCTORS + INIT_FUNCTIONS
    session = json.loads((record / "session.json").read_text())
    assert table_row("session.json") == set(session)
    meta = json.loads((record / "guest-1" / "guest.json").read_text())
    assert table_row("<guest>/guest.json") == set(meta)
