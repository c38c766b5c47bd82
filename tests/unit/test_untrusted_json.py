"""A recording's JSON files are a stranger's: malformed, deep, huge or wrongly typed fields become
one line each and the rest replays; nothing crashes or hangs. Each case is a finding of issue 21,
on an edited copy of `shared-8`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.unit.export_data import SHARED
from uktrace.cli.main import main
from uktrace.recording.record import FORMAT
from uktrace.recording.replay import ReplayFleet


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(SHARED, tmp_path / "rec")
    return tmp_path / "rec"


def edit(path: Path, change: Any) -> None:
    """Set `change`'s keys (`host.spawn_ns` reaches into `host`) in the JSON object at `path`."""
    document = json.loads(path.read_text())
    for key, value in change.items():
        where = document
        *parents, last = key.split(".")
        for parent in parents:
            where = where[parent]
        where[last] = value
    path.write_text(json.dumps(document))


def test_a_deeply_nested_guest_json_is_one_line(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (copy / "guest-3" / "guest.json").write_text("[" * 1000 + "]" * 1000)
    fleet = ReplayFleet(copy, speed=0)
    assert any("guest-3: guest-3/guest.json: nested deeper than" in line for line in fleet.problems)
    assert len(fleet.guests) == 8
    for command in (
        ["recordings", "--dir", str(copy.parent)],
        ["export", str(copy), "-f", "csv"],
        ["compare", str(SHARED), str(copy)],
    ):
        capsys.readouterr()
        assert main(command) in (0, 1), command
        assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"host.spawn_ns": "12"}, "guest-3: guest.json: host: spawn_ns is not a time in ns"),
        ({"host.spawn_ns": 10**30}, "guest-3: guest.json: host: spawn_ns is out of range"),
        ({"host": []}, "guest-3: guest.json: host is not an object"),
        ({"crash": "boom"}, "guest-3: guest.json: crash is not a crash"),
        ({"status": "[/red]"}, "guest-3: guest.json: status is not a status"),
        ({"status": []}, "guest-3: guest.json: status is not a status"),
        ({"host.node": ["a"]}, "guest-3: guest.json: host: node is not a string"),
        ({"host.cpu_marks": [["main", "x", 1, 2]]}, "guest-3: guest.json: host: cpu_marks[0] is not a time in ns"),
        ({"ready": "^(a|a"}, "guest-3: guest.json: ready is not a regular expression"),
        ({"host.exit_ns": 10**18}, "guest-3: guest.json: host: exit_ns is"),
    ],
)
def test_a_wrongly_typed_field_is_one_line_and_the_rest_replays(copy: Path, change: Any, line: str) -> None:
    edit(copy / "guest-3" / "guest.json", change)
    fleet = ReplayFleet(copy, speed=0)
    assert any(problem.startswith(line) for problem in fleet.problems), fleet.problems
    assert len(fleet.guests) == 8


def test_a_guest_json_that_is_a_list_is_one_line(copy: Path) -> None:
    (copy / "guest-3" / "guest.json").write_text("[1, 2]")
    assert "guest-3: guest.json is not an object" in ReplayFleet(copy, speed=0).problems


def test_a_far_exit_cannot_make_a_replay_last_for_ever(copy: Path) -> None:
    edit(copy / "guest-3" / "guest.json", {"host.exit_ns": 10**18})
    fleet = ReplayFleet(copy, speed=1)
    assert fleet.playback.end - fleet.playback.start < 10 * 10**9


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"started": 1e300}, "session.json: started is out of range"),
        ({"options": {"jobs": "abc"}}, "session.json: options: jobs is not an integer"),
        ({"host": []}, "session.json: host is not the host"),
    ],
)
def test_a_wrongly_typed_session_field_is_one_line(
    copy: Path, change: Any, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(copy / "session.json", change)
    assert any(problem.startswith(line) for problem in ReplayFleet(copy, speed=0).problems)
    assert main(["recordings", "--dir", str(copy.parent), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"{name} in --json"))
    assert [Path(r["path"]).name for r in listed["recordings"]] == ["rec"]


def test_a_newer_format_is_refused_naming_it(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(copy / "session.json", {"format": 999})
    assert main(["replay", "--headless", "--speed", "0", str(copy)]) == 2
    err = capsys.readouterr().err
    assert f"recording format 999, newer than this uktrace reads (up to {FORMAT})" in err


def test_replay_says_each_problem_on_one_line(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(copy / "guest-3" / "guest.json", {"host.spawn_ns": "12"})
    main(["replay", "--headless", "--speed", "0", str(copy)])
    err = capsys.readouterr().err
    assert "  guest-3: guest.json: host: spawn_ns is not a time in ns\n" in err


def test_a_saved_run_reads_back_whole_and_a_bad_field_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "run.json"
    assert main(["export", str(SHARED), "-f", "json", "-o", str(saved)]) == 0
    capsys.readouterr()
    assert main(["export", str(saved), "-f", "json"]) == 0
    assert capsys.readouterr().out == saved.read_text()  # a sound document loses nothing
    document = json.loads(saved.read_text())
    document["guests"][2]["times"]["clocks"] = ["host"]
    document["guests"][3]["phases"][0]["host"] = None
    saved.write_text(json.dumps(document))
    assert main(["compare", str(SHARED), str(saved)]) in (0, 1)
    err = capsys.readouterr().err
    assert f"{saved}: guests[2]: times: clocks is not an object of clocks (left out)" in err
    assert f"{saved}: guests[3]: phases[0]: host is not a start and an end (left out)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("cells", [5, "x", {"a": 1}, [1, None]])
def test_a_bench_whose_cells_are_not_cells_is_one_line(
    tmp_path: Path, cells: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "results.json").write_text(json.dumps({"kind": "bench", "uktrace": "0.1.0", "cells": cells}))
    for command in (["recordings", "--dir", str(tmp_path)], ["export", str(bench), "-f", "csv"]):
        assert main(command) in (0, 2)
        assert "Traceback" not in capsys.readouterr().err
    assert main(["compare", str(bench), str(SHARED)]) == 2
    assert "no guests to compare" in capsys.readouterr().err
