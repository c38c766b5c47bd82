"""Independent copies: checked for room first, removed on any failure, and a killed run's left
copies removed by the next run; errors read as sentences, not Python lists."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from uktrace.launch.leftovers import remove_leftovers
from uktrace.launch.shares import ShareError, Shares, remove_abandoned_copies, tree_size
from uktrace.launch.sockets import socket_directory


def share(tmp_path: Path, files: int = 3) -> Path:
    source = tmp_path / "share"
    source.mkdir()
    for n in range(files):
        (source / f"file-{n}.txt").write_text("x" * 1000)
    return source


def test_copies_are_made_up_front_and_removed(tmp_path: Path, tmpdir_env: Path) -> None:
    seen: list[tuple[int, int]] = []
    shares = Shares(share(tmp_path), "independent")
    shares.prepare(4, lambda done, total, _seconds: seen.append((done, total)))
    copies = [shares.for_guest(i) for i in range(4)]
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert all(c is not None and (c / "file-0.txt").read_text() == "x" * 1000 for c in copies)
    shares.cleanup()
    assert list(tmpdir_env.iterdir()) == []


def test_no_room_is_said_before_anything_is_copied(
    tmp_path: Path, tmpdir_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = share(tmp_path)
    real = shutil.disk_usage

    def small(path: Any) -> Any:
        return real(path)._replace(free=tree_size(source) * 3)  # room for 3 copies and no margin

    monkeypatch.setattr(shutil, "disk_usage", small)
    with pytest.raises(ShareError, match=r"3 copies need 8\.8 KiB, .* has 8\.8 KiB free; use fewer guests"):
        Shares(source, "independent").prepare(3)
    assert list(tmpdir_env.iterdir()) == []


def test_a_failed_copy_says_why_in_words_and_leaves_nothing(tmp_path: Path, tmpdir_env: Path) -> None:
    source = share(tmp_path)
    os.mkfifo(source / "pipe")  # copytree refuses named pipes
    with pytest.raises(ShareError) as raised:
        Shares(source, "independent").prepare(2)
    assert "cannot copy for guest 0" in str(raised.value) and "named pipe" in str(raised.value)
    assert "[(" not in str(raised.value)  # not shutil.Error's raw list
    assert list(tmpdir_env.iterdir()) == []


def test_copies_a_killed_run_left_are_removed_by_the_next(tmpdir_env: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmpdir_env / f"uktrace-fs-{dead.stdout.strip()}-abc123"
    (left / "guest-0").mkdir(parents=True)
    ours = tmpdir_env / f"uktrace-fs-{os.getpid()}-def456"  # a run still going: kept
    ours.mkdir()
    other = tmpdir_env / "uktrace-fs-notes"  # not a run's name: kept
    other.mkdir()
    assert remove_abandoned_copies(tmpdir_env) == [left]
    assert sorted(p.name for p in tmpdir_env.iterdir()) == sorted([ours.name, other.name])


def test_qmp_socket_directories_a_killed_run_left_are_removed_by_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    base = Path(tempfile.mkdtemp(prefix="ukq-", dir="/tmp"))  # short: a socket's path has room
    monkeypatch.setenv("TMPDIR", str(base))
    monkeypatch.setattr("tempfile.tempdir", None)
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        left = base / f"uktrace-qmp-{dead.stdout.strip()}-abc123"
        left.mkdir()
        (left / "1.0.sock").write_bytes(b"")
        made = socket_directory()  # a new run's: it clears what a killed one left, and keeps its own
        assert made.parent == base and made.name.startswith(f"uktrace-qmp-{os.getpid()}-")
        assert sorted(p.name for p in base.iterdir()) == [made.name]
        assert remove_leftovers(base, "qmp") == []  # a run still going keeps its sockets
    finally:
        shutil.rmtree(base)
