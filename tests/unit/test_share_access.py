"""The 9P share QEMU exports is read-only unless `--fs-rw` asks for writes."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from uktrace.cli import run
from uktrace.cli.main import build_parser, main
from uktrace.launch import options as launch_options
from uktrace.launch.accel import AccelChoice
from uktrace.launch.options import LaunchError, RunOptions, prepare
from uktrace.launch.qemu import qemu_argv
from uktrace.model.spec import GuestSpec


def fsdev(argv: list[str]) -> str:
    return argv[argv.index("-fsdev") + 1]


def test_the_share_is_read_only_by_default() -> None:
    argv = qemu_argv(GuestSpec("guest-1", Path("k.elf"), "tcg", fs=Path("/srv/share")))
    assert fsdev(argv) == "local,id=hvirtio0,path=/srv/share,security_model=none,readonly=on"


def test_a_writable_share_has_no_readonly() -> None:
    argv = qemu_argv(GuestSpec("guest-1", Path("k.elf"), "tcg", fs=Path("/srv/share"), fs_writable=True))
    assert fsdev(argv) == "local,id=hvirtio0,path=/srv/share,security_model=none"


def parse(*words: str) -> argparse.Namespace:
    args = build_parser().parse_args(list(words))
    args.extra = ()
    return args


@pytest.mark.parametrize("command", ["run", "demo", "bench"])
def test_fs_rw_is_an_option_where_fs_is(command: str, tmp_path: Path) -> None:
    assert parse(command, "--fs", str(tmp_path)).fs_rw is False
    assert parse(command, "--fs", str(tmp_path), "--fs-rw").fs_rw is True


def test_fs_rw_reaches_every_guest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(launch_options, "find_qemu", lambda qemu: "/usr/bin/qemu-system-x86_64")
    monkeypatch.setattr(launch_options, "find_kernel", lambda kernel: Path("k.elf"))
    monkeypatch.setattr(launch_options, "choose_accel", lambda accel, *_: AccelChoice("tcg"))
    for words, writable in ((("--fs", str(tmp_path)), False), (("--fs", str(tmp_path), "--fs-rw"), True)):
        options = run.options_from(parse("run", "-n", "3", *words))
        assert options.fs_writable is writable
        specs, _ = prepare(options)
        assert [spec.fs_writable for spec in specs] == [writable] * 3
    specs, shares = prepare(RunOptions(count=2, fs=tmp_path, fs_mode="independent"))
    try:
        assert all("readonly=on" in fsdev(qemu_argv(spec)) for spec in specs)  # uktrace's own copies too
    finally:
        shares.cleanup()


def test_fs_rw_without_fs_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = tmp_path / "rec"
    assert main(["run", "--fs-rw", "--cmd", "true", "--headless", "--record", str(record)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "uktrace run: --fs-rw needs --fs DIR, the directory the guests may write to"
    assert not record.exists()  # nothing started


def test_fs_rw_with_cmd_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match=r"^--fs-rw does nothing with --cmd: the launcher decides"):
        prepare(RunOptions(command="true", fs=tmp_path, fs_writable=True))
