"""`uktrace export` as a user runs it: every input kind, stdout or `-o FILE`, a user's file never
overwritten without `--force`, and every mistake one line on stderr with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import log
from tests.unit.export_data import CRASH, SHARED, make_bench
from uktrace.cli.main import main


def one_line_error(capsys: pytest.CaptureFixture[str], *expected: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("uktrace export: "), err
    for text in expected:
        assert text in err, err


def test_json_to_stdout_is_the_run_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(CRASH), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [g["name"] for g in document["guests"]] == ["guest-1", "guest-2", "guest-3"]
    assert document["summary"]["counts"]["crashed"] == 3
    assert {"host", "times", "cpu"} <= set(document["guests"][0])


def test_a_saved_json_exports_like_its_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "crash-3.json"
    assert main(["export", str(CRASH), "-f", "json", "-o", str(saved)]) == 0
    assert "wrote" in capsys.readouterr().err
    assert main(["export", str(saved), "-f", "csv"]) == 0
    from_json = capsys.readouterr().out
    assert main(["export", str(CRASH), "-f", "csv"]) == 0
    assert capsys.readouterr().out == from_json


def test_an_existing_file_is_refused_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trace.json"
    out.write_text("precious")
    assert main(["export", str(SHARED), "-f", "perfetto", "-o", str(out)]) == 2
    one_line_error(capsys, "exists", "--force")
    assert out.read_text() == "precious"
    assert main(["export", str(SHARED), "-f", "perfetto", "-o", str(out), "--force"]) == 0
    assert len(json.loads(out.read_text())["traceEvents"]) > 8 * 14


def test_guest_selects_one_thread(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(SHARED), "-f", "perfetto", "--guest", "guest-3"]) == 0
    events = json.loads(capsys.readouterr().out)["traceEvents"]
    assert [e["args"]["name"] for e in events if e["name"] == "thread_name"] in (
        ["guest-3"],
        ["guest-3", "guest-3 calls"],
    )


def test_a_bench_exports_every_cell_but_one_run_formats_say_how_to_pick(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = make_bench(tmp_path / "bench")
    assert main(["export", str(bench), "-f", "perfetto"]) == 0
    events = json.loads(capsys.readouterr().out)["traceEvents"]
    assert [e["args"]["name"] for e in events if e["name"] == "process_name"] == ["n8-shared-r1", "n3-shared-r1"]
    for fmt in ("json", "svg", "asciicast"):
        assert main(["export", str(bench), "-f", fmt]) == 2
        one_line_error(capsys, "holds one run", "n8-shared-r1", "cells/")
    assert main(["export", str(bench / "cells" / "n3-shared-r1"), "-f", "asciicast", "--guest", "guest-3"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["title"].endswith("guest-3: console (uktrace)")


def test_logs_together_are_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(log("001")), str(log("016")), "-f", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [g["name"] for g in document["guests"]] == [log("001").name, log("016").name]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-f", "csv", "--clock", "guest"], "--clock applies to perfetto and svg"),
        (["-f", "svg", "--guest", "nobody"], "no guest named 'nobody' (there are: guest-1, guest-2, guest-3)"),
        (["-f", "svg", "-o", "/nonexistent/x.svg"], "/nonexistent: no such directory"),
    ],
)
def test_mistakes_are_one_line(args: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(CRASH), *args]) == 2
    one_line_error(capsys, expected)


def test_unusable_inputs_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path), "-f", "csv"]) == 2
    one_line_error(capsys, "neither a recording (session.json) nor a bench (results.json)")
    (tmp_path / "results.json").write_text("{not json")
    assert main(["export", str(tmp_path), "-f", "csv"]) == 2
    one_line_error(capsys, "not valid JSON")
    (tmp_path / "results.json").write_text('{"kind": "bench", "cells": []}')
    assert main(["export", str(tmp_path), "-f", "csv"]) == 2
    one_line_error(capsys, "no cell with guests")
    assert main(["export", str(tmp_path / "missing.log"), "-f", "csv"]) == 2
    one_line_error(capsys, "missing.log: no such file")
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    assert main(["export", str(other), "-f", "csv"]) == 2
    one_line_error(capsys, "not uktrace's JSON")
    assert main(["export", str(log("001")), "-f", "perfetto", "--clock", "host"]) == 2
    one_line_error(capsys, "no host clock", "--clock guest")
