"""What the docs say a run prints and records is what a real run prints and records."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.conftest import run_json
from tests.integration.test_calls import CONSTRUCTORS, INIT_FUNCTIONS
from tests.pages import after, listed, page, row_names, section, table_names

JSON = page("json.md")
RECORDINGS = page("recordings.md")


def fields(heading: str) -> set[str]:
    """The field names a table of the JSON page lists under `heading`, each once."""
    names = table_names(section(JSON, heading))
    assert len(names) == len(set(names)), heading
    return set(names)


def test_the_docs_list_the_fields_a_run_prints_and_records(tmp_path: Path, share: Path) -> None:
    record = tmp_path / "rec"
    result, process = run_json("--fs", str(share), "--record", str(record))
    assert process.returncode == 0, process.stderr
    (guest,) = result["guests"]
    assert set(result) == {"format", "guests", "summary"}
    assert fields("## A guest") == set(guest)
    assert fields("### host") == set(guest["host"])  # `node` and `stream`: null locally, listed as such
    # `cluster` only on a cluster, and said so in its row
    # `cluster` only on a cluster, `observer` only where this host's observer check measured the size
    assert fields("## The summary") == set(result["summary"]) | {"cluster", "observer"}
    assert "cluster" not in result["summary"] and "observer" not in result["summary"]
    assert "| `cluster` | on a cluster only" in JSON
    assert listed(after(JSON, "Each phase is ")) == set(guest["phases"][0])
    assert row_names(JSON, "times") == set(guest["times"])
    assert guest["cpu"] and all(set(phase) == row_names(JSON, "cpu") for phase in guest["cpu"].values())
    # `calls`: named from the kernel's symbols in `run --json`, as the page says
    assert [call["name"] for call in guest["calls"]] == CONSTRUCTORS + INIT_FUNCTIONS
    session = json.loads((record / "session.json").read_text())
    assert row_names(RECORDINGS, "session.json") == set(session)
    meta = json.loads((record / "guest-1" / "guest.json").read_text())
    assert row_names(RECORDINGS, "<guest>/guest.json") == set(meta)
