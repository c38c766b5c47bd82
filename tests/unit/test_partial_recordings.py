"""A recording cut short (uktrace killed, a full disk, a QEMU that never started) replays as far as
it goes and says what is missing; one damaged guest does not reject the others."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from tests.conftest import DATA
from uktrace.cli.main import main
from uktrace.recording.reader import read_guest
from uktrace.recording.replay import ReplayFleet

SOURCE = DATA / "recordings" / "shared-8"


def damaged(tmp_path: Path, damage: Callable[[Path], None]) -> Path:
    recording = tmp_path / "rec"
    shutil.copytree(SOURCE, recording)
    damage(recording / "guest-2")
    return recording


def replay(recording: Path) -> ReplayFleet:
    fleet = ReplayFleet(recording, speed=0)
    anyio.run(fleet.run)
    return fleet


def truncate(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty index": (lambda g: (g / "chunks.tsv").write_text(""), "the chunks' times"),
    "index cut mid-line": (lambda g: truncate(g / "chunks.tsv", 25), "chunks.tsv from line"),
    "console shorter than its index": (lambda g: truncate(g / "console.raw", 300), "console bytes from offset 300"),
    "no guest.json": (lambda g: (g / "guest.json").unlink(), "guest.json"),
    "no console": (lambda g: (g / "console.raw").unlink(), "console.raw"),
}


@pytest.mark.parametrize("name", DAMAGES)
def test_a_damaged_guest_replays_as_far_as_it_goes(tmp_path: Path, name: str) -> None:
    damage, said = DAMAGES[name]
    recording = damaged(tmp_path, damage)
    fleet = replay(recording)
    assert [g.name for g in fleet.guests] == [f"guest-{n}" for n in range(1, 9)]
    assert list(fleet.missing) == ["guest-2"] and any(said in item for item in fleet.missing["guest-2"])
    whole = {g.name: g.received for g in replay(SOURCE).guests}
    assert {g.name: g.received for g in fleet.guests if g.name != "guest-2"} == {
        k: v for k, v in whole.items() if k != "guest-2"
    }
    kept = read_guest(recording / "guest-2")
    assert fleet.guests[1].received == sum(len(chunk) for _, chunk in kept.chunks)  # what is there, replayed


def test_a_console_without_its_index_keeps_every_byte(tmp_path: Path) -> None:
    recording = damaged(tmp_path, lambda g: (g / "chunks.tsv").unlink())
    console = (recording / "guest-2" / "console.raw").read_bytes()
    assert b"".join(chunk for _, chunk in read_guest(recording / "guest-2").chunks) == console
    assert replay(recording).guests[1].timeline.phases()  # its phases, from the console


def test_a_guest_the_session_lists_but_never_wrote_is_named(tmp_path: Path) -> None:
    recording = damaged(tmp_path, shutil.rmtree)
    fleet = replay(recording)
    assert len(fleet.guests) == 7 and fleet.missing == {"guest-2": ("its directory",)}


def test_uktrace_replay_says_what_is_missing_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = damaged(tmp_path, lambda g: (g / "chunks.tsv").write_text(""))
    status = main(["replay", str(recording), "--speed", "0", "--headless"])
    err = capsys.readouterr().err
    assert status == 0 and "Traceback" not in err
    assert "1 guest's recording is partial" in err and "guest-2: missing the chunks' times" in err


def test_a_guest_that_printed_nothing_reads_as_no_chunks(tmp_path: Path) -> None:
    """A QEMU that never started, or one stopped at the gate: empty console, empty index."""
    recording = damaged(tmp_path, lambda g: ((g / "console.raw").write_bytes(b""), (g / "chunks.tsv").write_text("")))
    assert read_guest(recording / "guest-2").chunks == []
    assert replay(recording).guests[1].received == 0
