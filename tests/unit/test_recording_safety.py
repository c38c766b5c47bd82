"""Nobody let in: the recordings' base is the user's own, recordings' names are unpredictable and
0700, files 0600, and nothing a local attacker planted is followed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from uktrace.launch.sockets import SOCKET_PATH_MAX, socket_directory
from uktrace.recording.record import (
    GuestRecorder,
    RecordingError,
    default_recording,
    mark,
    own_directory,
    recordings_base,
    start_session,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_each_run_gets_a_new_0700_directory_in_the_users_own_base(tmpdir_env: Path) -> None:
    first, second = default_recording(), default_recording()
    base = tmpdir_env / f"uktrace-{os.getuid()}"
    assert recordings_base() == base and first.parent == base == second.parent and first != second
    assert first.name.startswith("run-") and f"-{os.getpid()}-" in first.name  # when, who, then random
    assert mode(base) == 0o700 and mode(first) == 0o700


def test_a_base_someone_else_planted_is_refused_never_followed(tmpdir_env: Path) -> None:
    target = tmpdir_env / "elsewhere"
    target.mkdir()
    (tmpdir_env / f"uktrace-{os.getuid()}").symlink_to(target)
    with pytest.raises(RecordingError, match="not a directory"):
        default_recording()
    assert list(target.iterdir()) == []


@pytest.mark.skipif(os.getuid() != 0, reason="only root can give a directory to another user")
def test_a_base_owned_by_another_user_is_refused(tmpdir_env: Path) -> None:
    base = tmpdir_env / f"uktrace-{os.getuid()}"
    base.mkdir()
    os.chown(base, 65534, 65534)
    with pytest.raises(RecordingError, match="belongs to another user"):
        default_recording()


def test_a_base_others_could_write_into_is_closed(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir(mode=0o777)
    os.chmod(base, 0o777)
    assert own_directory(base) == base and mode(base) == 0o700


def test_recorded_files_are_the_users_only_and_a_planted_link_is_not_followed(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    mark(run)  # a recording of uktrace's: the one kind of non-empty directory --record takes
    victim = tmp_path / "victim"
    victim.write_text("root's file\n")
    (run / "session.tmp").symlink_to(victim)  # the old temporary name, planted
    start_session(run, ["uktrace", "run"], {"cmd": "true"}, ["guest-1"])
    assert victim.read_text() == "root's file\n"
    assert mode(run / "session.json") == 0o600
    recorder = GuestRecorder(run / "guest-1")
    recorder.console(b"hello\n", 1)
    recorder.finish({"name": "guest-1"})
    assert mode(run / "guest-1") == 0o700
    assert {mode(path) for path in (run / "guest-1").iterdir()} == {0o600}


def test_a_long_tmpdir_still_gets_qmp_sockets_short_enough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long = tmp_path / ("x" * (97 - len(str(tmp_path)) - 1))
    long.mkdir()
    monkeypatch.setenv("TMPDIR", str(long))
    monkeypatch.setattr("tempfile.tempdir", None)
    directory = socket_directory()
    try:
        assert len(str(directory / "100000.100.sock")) <= SOCKET_PATH_MAX and mode(directory) == 0o700
    finally:
        directory.rmdir()
