"""A recording is a stranger's: nothing outside it is read. Each case is a finding of issue 21,
reproduced on an edited copy of `shared-8` (a link, a FIFO, a path leading out)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.unit.export_data import SHARED
from uktrace.cli.main import main
from uktrace.kernel.identity import MAX_IMAGE, identify
from uktrace.recording.files import CONSOLE_LIMIT, RefusedFile, read_file
from uktrace.recording.kernels import recorded_symbols
from uktrace.recording.reader import read_guest, read_session
from uktrace.recording.replay import ReplayFleet

SECRET = "uktrace-secret-outside-the-recording"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(SHARED, tmp_path / "rec")
    return tmp_path / "rec"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "secret"
    path.parent.mkdir()
    path.write_text(SECRET + "\n")
    return path


def edit(path: Path, change: dict[str, object]) -> None:
    document = json.loads(path.read_text())
    document.update(change)
    path.write_text(json.dumps(document))


def test_a_console_linked_outside_is_not_exported(copy: Path, secret: Path, capsys: pytest.CaptureFixture[str]) -> None:
    console = copy / "guest-1" / "console.raw"
    console.unlink()
    console.symlink_to(secret)
    assert main(["export", str(copy), "--format", "asciicast", "--guest", "guest-1"]) == 0
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    assert f"uktrace: {copy}: guest-1: guest-1/console.raw: a symbolic link, not followed (left out)\n" in captured.err
    fleet = ReplayFleet(copy, speed=0)
    assert any("console.raw: a symbolic link, not followed" in line for line in fleet.problems)


@pytest.mark.parametrize("name", ["console.raw", "chunks.tsv", "guest.json", "stderr.log"])
def test_a_link_to_an_endless_device_is_refused(copy: Path, name: str) -> None:
    target = copy / "guest-2" / name
    target.unlink()
    target.symlink_to("/dev/zero")
    recorded = read_guest(copy, "guest-2")
    assert any(f"guest-2/{name}: a symbolic link" in line for line in recorded.problems)


def test_a_linked_session_is_refused(copy: Path) -> None:
    session = copy / "session.json"
    session.unlink()
    session.symlink_to("/dev/zero")
    with pytest.raises(RefusedFile, match=r"session\.json: a symbolic link"):
        read_file(copy, "session.json", 1 << 20)
    assert main(["replay", "--headless", "--speed", "0", str(copy)]) == 2


def test_a_fifo_console_does_not_hang_replay(copy: Path) -> None:
    console = copy / "guest-3" / "console.raw"
    console.unlink()
    os.mkfifo(console)
    recorded = read_guest(copy, "guest-3")  # would block for ever on open without O_NONBLOCK
    assert b"".join(data for _, data in recorded.chunks) == b""
    assert any("a FIFO, not a regular file" in line for line in recorded.problems)


def test_a_huge_sparse_console_is_read_up_to_its_limit_saying_so(copy: Path) -> None:
    console = copy / "guest-4" / "console.raw"
    kept = console.read_bytes()
    with console.open("r+b") as file:
        file.truncate(1 << 40)  # a terabyte of holes: no disk used
    recorded = read_guest(copy, "guest-4")
    assert f"guest-4: console.raw: {1 << 40:,} bytes: only the first {CONSOLE_LIMIT:,} replayed (the limit)" in (
        recorded.problems
    )
    assert b"".join(data for _, data in recorded.chunks).startswith(kept)
    assert not recorded.missing


def test_a_huge_sparse_index_is_refused_saying_so(copy: Path) -> None:
    with (copy / "guest-4" / "chunks.tsv").open("r+b") as file:
        file.truncate(1 << 40)
    recorded = read_guest(copy, "guest-4")
    assert any("guest-4/chunks.tsv: 1,099,511,627,776 bytes, over the" in line for line in recorded.problems)


def test_a_linked_guest_directory_is_not_followed(copy: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(copy / "guest-5", elsewhere)
    (copy / "guest-5").symlink_to(elsewhere, target_is_directory=True)
    fleet = ReplayFleet(copy, speed=0)
    assert "guest-5" not in [g.name for g in fleet.guests]
    assert fleet.missing["guest-5"] == ("its directory",)


@pytest.mark.parametrize("name", ["../other/guest-2", "/tmp/guest-2", "..", "guest-1/../../x"])
def test_a_guest_named_outside_is_refused(copy: Path, tmp_path: Path, name: str) -> None:
    other = tmp_path / "other"
    shutil.copytree(SHARED / "guest-2", other / "guest-2")
    edit(copy / "session.json", {"guests": ["guest-1", name]})
    session = read_session(copy)
    assert session.names == ["guest-1"]
    assert any("not a name inside the recording" in line for line in session.problems)
    assert [g.name for g in ReplayFleet(copy, speed=0).guests] == ["guest-1"]


@pytest.mark.parametrize("symbols", ["/etc/passwd", "../../../../etc/passwd", "../outside/secret"])
def test_a_symbols_path_leading_out_is_not_opened(copy: Path, secret: Path, symbols: str) -> None:
    (secret.parent / "secret").write_text(f"# uktrace symbols\n100\t10\t{SECRET}\n")
    meta = {"kernel_image": {"sha256": "0" * 64, "size": 1, "unikraft": None, "symbols": symbols}}
    assert recorded_symbols(copy, meta) is None


def test_a_bench_cell_leading_out_exports_nothing_of_elsewhere(
    tmp_path: Path, secret: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(SHARED, elsewhere)
    (elsewhere / "guest-1" / "console.raw").write_text(SECRET)
    bench = tmp_path / "bench"
    bench.mkdir()
    assert main(["export", str(SHARED), "--format", "json", "-o", str(tmp_path / "run.json"), "--force"]) == 0
    run = json.loads((tmp_path / "run.json").read_text())
    for recording in (str(elsewhere), "../elsewhere"):
        cell = {"id": "c1", "recording": recording, "run": run}
        (bench / "results.json").write_text(json.dumps({"kind": "bench", "uktrace": "0", "cells": [cell]}))
        capsys.readouterr()
        assert main(["export", str(bench), "--format", "asciicast"]) == 2
        captured = capsys.readouterr()
        assert SECRET not in captured.out + captured.err
        assert "needs a recording" in captured.err


def test_a_kernel_naming_a_huge_sparse_file_is_not_hashed(tmp_path: Path) -> None:
    huge = tmp_path / "kernel"
    with huge.open("wb") as file:
        file.truncate(MAX_IMAGE + 1)
    with pytest.raises(OSError, match="limit"):
        identify(huge)
    meta = {"kernel": str(huge), "kernel_image": {"sha256": "0" * 64, "size": 170000, "symbols": None}}
    assert recorded_symbols(tmp_path, meta) is None  # another size: never hashed
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        identify(fifo)
