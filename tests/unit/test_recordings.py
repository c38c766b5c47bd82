"""`uktrace recordings`: listing what runs left on disk, and pruning only what is a recording."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from uktrace.cli.headless import run_footer
from uktrace.cli.main import main
from uktrace.recording.inventory import NotARecording, list_recordings, read_recording
from uktrace.recording.prune import Choice, PruneError, choose, delete, parse_age
from uktrace.recording.record import boot_id, mark, recordings_base
from uktrace.recording.replay import ReplayFleet

RECORDINGS = Path(__file__).resolve().parents[1] / "data" / "recordings"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A recordings directory as runs leave it: three real recordings, and things that are not."""
    base = tmp_path / f"uktrace-{os.getuid()}"
    for name in ("crash-3", "shared-8", "format-1-crash-3"):
        shutil.copytree(RECORDINGS / name, base / name)
        mark(base / name)  # as this uktrace leaves them (the committed ones predate the marker)
    (base / "notes").mkdir()
    (base / "notes" / "todo.txt").write_text("keep me\n")
    (base / "stray.txt").write_text("keep me too\n")
    (base / "lookalike").mkdir()
    (base / "lookalike" / "session.json").write_text('{"name": "not ours"}\n')
    outside = tmp_path / "outside-recording"
    shutil.copytree(RECORDINGS / "crash-3", outside)
    (base / "link").symlink_to(outside)
    return base


def edit_session(directory: Path, **changes: Any) -> None:
    path = directory / "session.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | changes))


def test_lists_recordings_newest_first_and_nothing_else(base: Path) -> None:
    listing = list_recordings(base)
    assert [r.path.name for r in listing.recordings] == ["shared-8", "crash-3", "format-1-crash-3"]
    assert sorted(p.name for p in listing.others) == ["link", "lookalike", "notes", "stray.txt"]
    shared, crash, old = listing.recordings
    assert (shared.kind, shared.kernel, shared.guests, dict(shared.statuses)) == (
        "run",
        "uktrace-guest.elf",
        8,
        {"exited": 8},
    )
    assert dict(crash.statuses) == {"crashed": 3} and dict(old.statuses) == {"crashed": 3}
    files = sum(p.stat().st_size for p in (base / "shared-8").rglob("*") if p.is_file())
    assert shared.size >= files and not shared.in_progress
    assert list_recordings(base / "absent").recordings == []


def test_a_bench_is_one_recording_and_its_cells_are_not_pruned_alone(base: Path) -> None:
    bench = base / "bench"
    cell = bench / "cells" / "n3-shared-r1"
    shutil.copytree(RECORDINGS / "crash-3", cell)
    edit_session(cell, options={"bench_cell": "n3-shared-r1", "count": 3})
    summary = {"guests": 3, "counts": {"exited": 2, "crashed": 1, "failed": 0}}
    results = {"kind": "bench", "uktrace": "0.1.0", "started": 2e9, "plan": {"kernel": "/b/app_qemu-x86_64"}}
    (bench / "results.json").write_text(json.dumps(results | {"cells": [{"run": {"summary": summary}}]}))
    recording = read_recording(bench)
    assert (recording.kind, recording.kernel, recording.guests) == ("bench", "app_qemu-x86_64", 3)
    assert dict(recording.statuses) == {"exited": 2, "crashed": 1}
    assert list_recordings(base).recordings[0].path == bench
    with pytest.raises(NotARecording, match="one cell of the bench"):
        read_recording(cell)


def test_a_recording_still_written_is_never_chosen(base: Path) -> None:
    live = base / "crash-3"
    edit_session(live, recorder={"pid": os.getpid(), "boot_id": boot_id()}, started=time.time())
    (live / "guest-1" / "guest.json").unlink()
    recording = read_recording(live)
    assert recording.in_progress and dict(recording.statuses) == {"in progress": 1, "crashed": 2}
    choice = choose(list_recordings(base).recordings, older_than=None, keep=0, now=time.time())
    assert live not in [r.path for r in choice.doomed] and [r.path for r in choice.busy] == [live]
    # the pid of a process that started after the recording, or of another boot or machine, is not its recorder
    edit_session(live, started=1e9)
    assert not read_recording(live).in_progress
    assert read_recording(live).statuses["unfinished"] == 1
    edit_session(live, recorder={"pid": os.getpid(), "boot_id": "another-boot"}, started=time.time())
    assert not read_recording(live).in_progress


def test_an_older_recording_is_in_progress_while_the_uktrace_its_name_gives_runs(base: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "uktrace", "run"])
    sleeper = subprocess.Popen(["sleep", "60"])  # alive, but not a uktrace
    try:
        live = base / f"run-20260101-120000-{process.pid}"
        (base / "crash-3").rename(live)
        edit_session(live, started=time.time() + 1)
        assert read_recording(live).recorder == process.pid
        other = base / f"run-20260101-120000-{sleeper.pid}"
        (base / "shared-8").rename(other)
        edit_session(other, started=time.time() + 1)
        assert not read_recording(other).in_progress
    finally:
        for child in (process, sleeper):
            child.kill()
            child.wait()
    assert not read_recording(live).in_progress


def names(choice: Choice) -> list[str]:
    return [r.path.name for r in choice.doomed]


def test_selectors_narrow_each_other(base: Path) -> None:
    listing = list_recordings(base)
    now = max(r.started for r in listing.recordings) + 3600
    assert names(choose(listing.recordings, older_than=None, keep=1, now=now)) == ["crash-3", "format-1-crash-3"]
    assert names(choose(listing.recordings, older_than=parse_age("2h"), keep=None, now=now)) == ["format-1-crash-3"]
    assert names(choose(listing.recordings, older_than=parse_age("2h"), keep=0, now=now)) == ["format-1-crash-3"]
    assert names(choose(listing.recordings, older_than=parse_age("30m"), keep=2, now=now)) == ["format-1-crash-3"]
    assert parse_age("7d") == 7 * 86400 and parse_age("1.5h") == 5400
    with pytest.raises(PruneError, match="not an age"):
        parse_age("7 days")
    with pytest.raises(PruneError, match="--keep"):
        choose(listing.recordings, older_than=None, keep=-1, now=now)


def test_delete_reads_the_marker_again_and_follows_no_link(base: Path, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "data").write_text("not a recording's\n")
    (base / "crash-3" / "guest-1" / "escape").symlink_to(precious)
    delete(read_recording(base / "crash-3"))
    assert not (base / "crash-3").exists() and (precious / "data").is_file()
    shared = read_recording(base / "shared-8")
    (base / "shared-8" / "session.json").unlink()  # no longer a recording when its turn comes
    with pytest.raises(NotARecording):
        delete(shared)
    assert (base / "shared-8").is_dir()


def test_list_command(base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recordings", "--dir", str(base), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [Path(r["path"]).name for r in document["recordings"]] == ["shared-8", "crash-3", "format-1-crash-3"]
    assert set(document["recordings"][0]) == {
        "path",
        "kind",
        "started",
        "kernel",
        "guests",
        "statuses",
        "bytes",
        "marked",
        "in_progress",
    }
    assert main(["recordings", "--dir", str(base)]) == 0
    out = capsys.readouterr().out
    assert "3 recordings" in out and "recordings prune --older-than 7d" in out and "4 other entries" in out


def test_prune_needs_a_selector_and_an_answer(base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in base.iterdir())
    assert main(["recordings", "prune", "--dir", str(base)]) == 2
    assert "say what to prune" in capsys.readouterr().err
    assert main(["recordings", "prune", "--dir", str(base), "--keep", "1"]) == 2  # stdin is no terminal
    assert "add --yes" in capsys.readouterr().err
    assert main(["recordings", "prune", "--dir", str(base), "--keep", "1", "--dry-run"]) == 0
    assert "2 recordings" in capsys.readouterr().out
    assert sorted(p.name for p in base.iterdir()) == before


def test_prune_deletes_only_recordings(base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recordings", "prune", "--dir", str(base), "--keep", "1", "--yes"]) == 0
    assert "deleted 2 recordings" in capsys.readouterr().out
    assert sorted(p.name for p in base.iterdir()) == ["link", "lookalike", "notes", "shared-8", "stray.txt"]
    assert (tmp_path / "outside-recording" / "session.json").is_file()  # behind the link: untouched


def test_prune_refuses_every_path_that_is_not_a_recording(base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [base / name for name in ("crash-3", "link", "lookalike", "notes", "stray.txt", "absent")]
    assert main(["recordings", "prune", *map(str, paths), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("uktrace recordings prune:") == 5 and "nothing deleted" in err
    assert all(p.exists() or p.name == "absent" for p in paths)
    assert main(["recordings", "prune", str(base / "crash-3"), "--yes"]) == 0
    assert not (base / "crash-3").exists()


def test_the_run_footer_says_how_to_prune(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(base.parent))
    assert recordings_base() == base
    assert "uktrace recordings prune --older-than 7d" in run_footer(ReplayFleet(base / "crash-3", speed=0)).plain
    assert "prune" not in run_footer(ReplayFleet(RECORDINGS / "crash-3", speed=0)).plain
