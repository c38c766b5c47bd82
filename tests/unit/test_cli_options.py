"""Options that would do nothing are refused with one line, or do what they say."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from uktrace.cli import run
from uktrace.cli.main import main


def test_fs_mode_without_fs_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = tmp_path / "rec"
    assert main(["run", "--fs-mode", "independent", "--cmd", "true", "--headless", "--record", str(record)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "uktrace run: --fs-mode independent needs --fs DIR, the directory the guests share"
    assert not record.exists()  # nothing started


def test_fs_without_fs_mode_shares_one_directory(tmp_path: Path) -> None:
    assert run.options_from(run_args(tmp_path)).fs_mode == "shared"


def test_demo_applies_fs_mode_to_its_own_share(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[argparse.Namespace] = []

    def run_command(args: argparse.Namespace, prog: str = "") -> int:
        seen.append(args)
        return 0

    monkeypatch.setattr(run, "run_command", run_command)
    assert main(["demo", "--fs-mode", "independent"]) == 0
    assert seen[0].fs_mode == "independent" and seen[0].fs.name.startswith("uktrace-demo-")
    assert run.options_from(seen[0]).fs_mode == "independent"
    assert main(["demo", "--fs", str(tmp_path)]) == 0
    assert seen[1].fs == tmp_path and run.options_from(seen[1]).fs_mode == "shared"


def run_args(share: Path) -> argparse.Namespace:
    from uktrace.cli.main import build_parser

    args = build_parser().parse_args(["run", "--fs", str(share)])
    args.extra = ()
    return args
