"""Every string a recording, a symbols table, an ELF or a JSON input holds reaches the terminal
shown, never interpreted (issue 21): each field of an edited `shared-8` and every symbol name is
set to hostile text (terminal control sequences and Rich markup), and every command that shows
it prints it escaped, without a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.unit.export_data import SHARED
from uktrace.cli.main import main
from uktrace.model.text import markup, shown

HOSTILE = "\x1b]52;c;aGk=\x07\x1b]0;title\x07\x1b[1A\x1b[2K\x1b[2J\x9b31m[bold red]x[/red][/]\u202e"
"""The clipboard, the window title, lines erased, the screen cleared (7- and 8-bit), markup that
styles and markup that does not close, and a right-to-left override."""


def hostile(value: Any) -> Any:
    """Every string in a JSON value made hostile (appended, so a name stays unique)."""
    if isinstance(value, str):
        return value + HOSTILE
    if isinstance(value, list):
        return [hostile(item) for item in value]
    if isinstance(value, dict):
        return {key: hostile(item) if key not in ("symbols", "sha256") else item for key, item in value.items()}
    return value


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """shared-8 with every string of every guest.json (names of statuses aside: refused whole),
    the session's, and every symbol name made hostile."""
    copy = tmp_path / "rec"
    shutil.copytree(SHARED, copy)
    for path in [copy / "session.json", *copy.glob("guest-*/guest.json")]:
        document = json.loads(path.read_text())
        keep = {key: document[key] for key in ("guests", "status", "ready") if key in document}
        path.write_text(json.dumps(hostile(document) | keep))
    for table in copy.glob("kernels/*.symbols"):
        lines = table.read_text().splitlines()
        table.write_text("\n".join([lines[0], *(line + HOSTILE for line in lines[1:])]) + "\n")
    return copy


def clean(text: str) -> None:
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in text
    assert "Traceback" not in text and "MarkupError" not in text


@pytest.mark.parametrize(
    "command",
    [
        ["replay", "--headless", "--speed", "0"],
        ["export", "-f", "csv"],
        ["export", "-f", "json"],
        ["export", "-f", "perfetto"],
        ["export", "-f", "asciicast"],
        ["blame"],
        ["compare", str(SHARED)],
    ],
)
def test_every_field_is_shown_escaped(copy: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    main([*command, str(copy)])
    captured = capsys.readouterr()
    clean(captured.out + captured.err)


def test_recordings_lists_hostile_fields_escaped(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recordings", "--dir", str(copy.parent)]) == 0
    clean(capsys.readouterr().out)
    assert main(["recordings", "--dir", str(copy.parent), "--json"]) == 0
    clean(capsys.readouterr().out)


def test_a_hostile_json_input_compares_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "run.json"
    assert main(["export", str(SHARED), "-f", "json", "-o", str(saved)]) == 0
    saved.write_text(json.dumps(hostile(json.loads(saved.read_text()))))
    capsys.readouterr()
    main(["compare", str(SHARED), str(saved)])
    captured = capsys.readouterr()
    clean(captured.out + captured.err)


def test_a_hostile_symbols_file_is_shown_escaped(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (table,) = copy.glob("kernels/*.symbols")
    log = copy / "guest-1" / "console.raw"
    assert main(["parse", str(log), "--symbols", str(table)]) == 0
    clean(capsys.readouterr().out)


def test_shown_and_markup_escape_and_keep_the_text() -> None:
    assert shown("a\x1b[2Jb\tc\x9b") == "a\\x1b[2Jb\\x09c\\x9b"
    assert markup("[bold]x[/]") == "\\[bold]x\\[/]"
    assert shown("guest-1 → ü") == "guest-1 → ü"
