"""The 9P share is read-only unless the user asks (`--fs-rw`): a guest that writes is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import run_json

WRITE = ("--append", "uktrace.fs_write=1")
"""The test guest's knob: overwrite hello.txt, remove victim.txt, say what the server did."""


@pytest.fixture
def victim(share: Path) -> Path:
    path = share / "victim.txt"
    path.write_text("delete me if you can\n")
    return path


def consoles(record: Path, result: dict[str, object]) -> list[str]:
    guests: list[dict[str, object]] = result["guests"]  # type: ignore[assignment]
    for guest in guests:
        assert guest["status"] == "exited" and guest["exit_code"] == 0, guest
    return [(record / str(g["name"]) / "console.raw").read_bytes().decode(errors="replace") for g in guests]


@pytest.mark.parametrize("mode", ["shared", "independent"])
def test_a_writing_guest_is_refused_by_default(tmp_path: Path, share: Path, victim: Path, mode: str) -> None:
    record = tmp_path / "rec"
    result, process = run_json("-n", "2", "--fs", str(share), "--fs-mode", mode, *WRITE, "--record", str(record))
    assert process.returncode == 0, process.stderr
    for console in consoles(record, result):
        assert "uktrace.fs_write: write hello.txt: refused (errno 30)" in console
        assert "uktrace.fs_write: remove victim.txt: refused (errno 30)" in console
    assert (share / "hello.txt").read_text() == "Hello from the 9P share!\n"
    assert victim.read_text() == "delete me if you can\n"
    session = json.loads((record / "session.json").read_text())
    assert session["options"]["fs_rw"] is False
    argv = json.loads((record / "guest-1" / "guest.json").read_text())["argv"]
    assert any(arg.endswith(",readonly=on") for arg in argv if arg.startswith("local,"))


def test_fs_rw_lets_the_guest_write_and_remove(tmp_path: Path, share: Path, victim: Path) -> None:
    record = tmp_path / "rec"
    result, process = run_json("--fs", str(share), "--fs-rw", *WRITE, "--record", str(record))
    assert process.returncode == 0, process.stderr
    (console,) = consoles(record, result)
    assert "uktrace.fs_write: write hello.txt: written 12 bytes" in console
    assert "uktrace.fs_write: remove victim.txt: removed" in console
    assert (share / "hello.txt").read_text() == "overwritten\n"
    assert not victim.exists()
    assert json.loads((record / "session.json").read_text())["options"]["fs_rw"] is True


def test_fs_rw_with_independent_copies_leaves_the_share_alone(tmp_path: Path, share: Path, victim: Path) -> None:
    record = tmp_path / "rec"
    args = ("--fs", str(share), "--fs-mode", "independent", "--fs-rw", *WRITE, "--record", str(record))
    result, process = run_json(*args)
    assert process.returncode == 0, process.stderr
    (console,) = consoles(record, result)
    assert "uktrace.fs_write: write hello.txt: written 12 bytes" in console  # in its own copy
    assert (share / "hello.txt").read_text() == "Hello from the 9P share!\n"
    assert victim.exists()
