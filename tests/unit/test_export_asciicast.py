"""The asciicast export: a v2 header, one output event per console chunk at its recorded time,
the console's text intact once the CRs a terminal needs are taken out again, and asciinema's own
`asciinema cat` reading it back (Debian's asciinema; skipped, saying so, when it is missing)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.conftest import log
from tests.unit.export_data import CRASH, SHARED, recording
from uktrace.export.asciicast import crlf, output_events, render
from uktrace.export.runs import ExportError, load_runs
from uktrace.recording.reader import read_guest


def parse(text: str) -> tuple[dict[str, Any], list[list[Any]]]:
    lines = text.splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def test_header_and_events_follow_v2() -> None:
    run = recording(CRASH)
    header, events = parse(render(run))
    assert header["version"] == 2
    assert isinstance(header["width"], int) and 80 <= header["width"] <= 200
    assert isinstance(header["height"], int) and header["height"] > 0
    session = json.loads((CRASH / "session.json").read_text())
    assert header["timestamp"] == int(session["started"])
    assert header["title"] == "crash-3 guest-1: console (uktrace)"
    chunks = read_guest(CRASH / "guest-1").chunks
    assert len(events) == len(chunks)
    assert [e[0] for e in events] == [round(ns / 1e9, 6) for ns, _ in chunks]
    assert all(e[1] == "o" and isinstance(e[2], str) for e in events)
    assert header["duration"] == events[-1][0]


def test_the_console_survives_and_every_newline_gets_its_cr() -> None:
    run = recording(SHARED)
    for guest in ("guest-1", "guest-5"):
        _, events = parse(render(run, guest))
        text = "".join(e[2] for e in events)
        console = (SHARED / guest / "console.raw").read_bytes().decode("utf-8", errors="replace")
        assert text.replace("\r\n", "\n") == console
        assert text.count("\n") == text.count("\r\n") == console.count("\n") > 50


def test_a_cr_or_a_character_split_between_chunks() -> None:
    chunks = [(0, b"one\r"), (1000, b"\ntwo\n\xc3"), (2000, b"\xa9t\xe9\n")]
    assert list(output_events(chunks)) == [(0.0, "one\r"), (1e-06, "\ntwo\r\n"), (2e-06, "ét\ufffd\r\n")]
    assert crlf("a\nb\r\nc\n") == "a\r\nb\r\nc\r\n"
    assert crlf("\nx", after_cr=True) == "\nx"
    assert list(output_events([(5000, b"\xe2\x82")])) == [(5e-06, "\ufffd")]


def test_only_a_recording_has_the_timing() -> None:
    with pytest.raises(ExportError, match="needs a recording"):
        render(load_runs([log("001")])[0])


@pytest.mark.skipif(shutil.which("asciinema") is None, reason="no asciinema binary (Debian package asciinema)")
def test_asciinema_cat_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "guest-2.cast"
    path.write_text(render(recording(CRASH), "guest-2"))
    # asciinema cat opens /dev/tty: give it a terminal
    child = pexpect.spawn("asciinema", ["cat", str(path)], encoding="utf-8", codec_errors="replace", timeout=60)
    shown = child.read()
    child.close()
    assert child.exitstatus == 0, shown
    console = (CRASH / "guest-2" / "console.raw").read_bytes().decode("utf-8", errors="replace")
    assert shown.replace("\r", "") == console.replace("\r", "")
    assert "Unhandled Trap 0 (divide error)" in shown
