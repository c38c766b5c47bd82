"""`uktrace export` on a real run (3 test guests under QEMU, a shared 9P directory, recorded): every
format comes out whole and agrees with what the run printed."""

from __future__ import annotations

import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.integration.conftest import run_json, uktrace


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A recorded run of 3 guests and its `run --json`."""
    base = tmp_path_factory.mktemp("export")
    share = base / "share"
    share.mkdir()
    (share / "hello.txt").write_text("Hello from the 9P share!\n")
    result, process = run_json("--headless", "-n", "3", "--fs", str(share), "--record", str(base / "rec"))
    assert process.returncode == 0, process.stderr
    return base / "rec", result


def export(recording: Path, out: Path, *args: str) -> Path:
    process = uktrace("export", str(recording), "-o", str(out), *args)
    assert process.returncode == 0 and "Traceback" not in process.stderr, process.stderr
    return out


def test_every_format(recorded: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    recording, live = recorded
    names = [g["name"] for g in live["guests"]]

    document = json.loads(export(recording, tmp_path / "run.json", "-f", "json").read_text())
    assert [g["name"] for g in document["guests"]] == names
    for replayed, seen in zip(document["guests"], live["guests"], strict=True):
        assert replayed["status"] == seen["status"] == "exited"
        assert [p["name"] for p in replayed["phases"]] == [p["name"] for p in seen["phases"]]

    events = json.loads(export(recording, tmp_path / "trace.json", "-f", "perfetto").read_text())["traceEvents"]
    threads = [e["args"]["name"] for e in events if e["name"] == "thread_name"]
    assert [name for name in threads if not name.endswith(" calls")] == names
    assert [name for name in threads if name.endswith(" calls")] == [
        f"{g['name']} calls" for g in live["guests"] if g.get("calls")
    ]
    for name in ("mount", "9p_handshake", "main"):
        assert sum(1 for e in events if e["ph"] == "X" and e["name"] == name) == 3
    assert all(isinstance(e["ts"], int) and e["dur"] >= 0 for e in events if e["ph"] == "X")

    rows = list(csv.DictReader(io.StringIO(export(recording, tmp_path / "t.csv", "-f", "csv").read_text())))
    assert len([r for r in rows if r["kind"] == "phase"]) == sum(len(g["phases"]) for g in live["guests"])

    root = ET.parse(export(recording, tmp_path / "gantt.svg", "-f", "svg")).getroot()
    bar_ids = {n.get("id") for n in root.iter() if (n.get("id") or "").startswith("phase-")}
    assert {f"phase-{name}-main" for name in names} <= bar_ids


def test_asciicast_of_a_guest_reading_the_share(recorded: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    recording, live = recorded
    name = live["guests"][1]["name"]
    cast = export(recording, tmp_path / "guest.cast", "-f", "asciicast", "--guest", name)
    header, *events = (json.loads(line) for line in cast.read_text().splitlines())
    assert header["version"] == 2 and name in header["title"]
    text = "".join(event[2] for event in events)
    assert "Calling main(" in text and "Hello from the 9P share!\r\n" in text
    assert [e[0] for e in events] == sorted(e[0] for e in events)
    if shutil.which("asciinema") is None:
        pytest.skip("no asciinema binary (Debian package asciinema): the cast was checked, not played")
    child = pexpect.spawn("asciinema", ["cat", str(cast)], encoding="utf-8", codec_errors="replace", timeout=60)
    shown = child.read()
    child.close()
    assert child.exitstatus == 0 and shown.replace("\r", "") == text.replace("\r", "")
