"""Writes that cannot destroy a user's file (issue 21): an export replaces its target only once
complete, `prune` deletes only what uktrace marked as its own, `--record` takes no directory
holding anything else."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.export_data import SHARED
from uktrace.cli.main import main
from uktrace.recording.inventory import read_recording
from uktrace.recording.record import MARKER, RecordingError, start_session


def test_a_failed_forced_export_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "trace.json"
    target.write_text("precious\n")
    limit = 4096  # the export is larger: its write fails with EFBIG, as on a full disk

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, "-m", "uktrace", "export", str(SHARED), "-f", "perfetto", "-o", str(target), "--force"]
    result = subprocess.run(command, capture_output=True, text=True, preexec_fn=small_files, check=False)
    assert result.returncode == 2 and "cannot write" in result.stderr and "Traceback" not in result.stderr
    assert target.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.json"]  # no temporary left


def test_a_forced_export_replaces_a_link_not_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("someone's\n")
    (tmp_path / "out.csv").symlink_to(victim)
    assert main(["export", str(SHARED), "-f", "csv", "-o", str(tmp_path / "out.csv"), "--force"]) == 0
    assert victim.read_text() == "someone's\n" and not (tmp_path / "out.csv").is_symlink()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project folder that happens to hold a copy of a recording's session.json."""
    project = tmp_path / "base" / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "main.c").write_text("int main(void) { return 0; }\n")
    shutil.copy(SHARED / "session.json", project / "session.json")
    return project


def test_prune_never_deletes_a_folder_with_a_copied_session(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = project.parent
    assert main(["recordings", "prune", "--dir", str(base), "--keep", "0", "--yes"]) == 0
    assert (project / "src" / "main.c").is_file()
    assert main(["recordings", "prune", str(project), "--yes"]) == 2
    assert "not marked as uktrace's" in capsys.readouterr().err
    assert (project / "src" / "main.c").is_file()


def test_prune_deletes_a_marked_recording_and_an_old_default_run_in_the_users_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    base = tmp_path / f"uktrace-{os.getuid()}"
    old = base / "run-20250101-120000-4242-abcd1234"  # as `default_recording` named them before markers
    shutil.copytree(SHARED, old)
    marked = base / "mine"
    shutil.copytree(SHARED, marked)
    (marked / MARKER).write_text("made by uktrace\n")
    unmarked = base / "copied-by-hand"
    shutil.copytree(SHARED, unmarked)
    assert (read_recording(old).ours, read_recording(marked).ours, read_recording(unmarked).ours) == (True, True, False)
    assert main(["recordings", "prune", "--keep", "0", "--yes"]) == 0
    assert sorted(p.name for p in base.iterdir()) == ["copied-by-hand"]


def test_record_refuses_a_directory_holding_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    with pytest.raises(RecordingError, match="not empty and not a uktrace recording"):
        start_session(folder, ["uktrace", "run"], {"cmd": "true"}, ["guest-1"])
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    start_session(tmp_path / "new", ["uktrace", "run"], {"cmd": "true"}, ["guest-1"])
    assert (tmp_path / "new" / MARKER).is_file()
