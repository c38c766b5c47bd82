"""The CSV export: the bench's tidy columns (one definition, `uktrace.analysis.tidy`), one row per
guest × phase with both clocks, the figures, bench cells named, calls as rows of their own."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.conftest import log
from tests.unit.export_data import CRASH, SHARED, guest_with_calls, make_bench, recording
from uktrace.analysis.tidy import COLUMNS as TIDY
from uktrace.export.runs import Run, load_runs
from uktrace.export.table import CALL_COLUMNS, render


def read(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def test_one_row_per_guest_and_phase_with_both_clocks() -> None:
    run = recording(SHARED)
    header, rows = read(render([run]))
    assert header == [*TIDY, *CALL_COLUMNS]
    phases = [r for r in rows if r["kind"] == "phase"]
    assert len(phases) == sum(len(g["phases"]) for g in run.guests)
    first = run.guests[0]
    expected = {p["name"]: p for p in first["phases"]}
    mine = {r["name"]: r for r in phases if r["guest"] == first["name"]}
    assert list(mine) == list(expected)
    for name, row in mine.items():
        phase = expected[name]
        assert row["cell"] == "shared-8" and row["status"] == "exited"
        assert row["clock"] == phase["clock"]
        assert float(row["host_start"]) == phase["host"]["start"]
        assert float(row["host_seconds"]) == round(phase["host"]["end"] - phase["host"]["start"], 6)
        if phase["guest"]["end"] is not None:
            assert float(row["guest_seconds"]) == round(phase["guest"]["end"] - phase["guest"]["start"], 6)
        assert row["concurrency"] == row["fs_mode"] == row["round"] == ""  # not a bench cell
    figures = {r["name"] for r in rows if r["kind"] == "figure" and r["guest"] == first["name"]}
    assert figures == {"boot", "mount", "main", "total"}


def test_a_crashed_run_keeps_its_status() -> None:
    _, rows = read(render([recording(CRASH)]))
    assert {r["status"] for r in rows} == {"crashed"}
    assert {r["guest"] for r in rows} == {"guest-1", "guest-2", "guest-3"}


def test_bench_cells_fill_their_columns(tmp_path: Path) -> None:
    _, rows = read(render(load_runs([make_bench(tmp_path)])))
    cells = {(r["cell"], r["concurrency"], r["fs_mode"], r["round"]) for r in rows}
    assert cells == {("n8-shared-r1", "8", "shared", "1"), ("n3-shared-r1", "3", "shared", "1")}


def test_a_log_has_guest_clock_columns_only() -> None:
    _, rows = read(render(load_runs([log("001")])))
    assert rows and all(r["host_start"] == r["host_seconds"] == "" for r in rows)
    assert all(r["clock"] == "guest" and r["guest_start"] != "" for r in rows if r["kind"] == "phase")


def test_calls_are_rows_with_their_phase_library_and_address() -> None:
    run = Run("calls", {"guests": [guest_with_calls()]})
    _, rows = read(render([run]))
    calls = [r for r in rows if r["kind"] == "call"]
    assert [r["name"] for r in calls] == ["ukplat_ctor", "uk_bus_ctor", "vfs_init", "late_init", "never_reached"]
    vfs = calls[2]
    assert (vfs["phase"], vfs["call_kind"], vfs["library"], vfs["address"]) == (
        "init_table",
        "init",
        "libukboot",
        "0x1033e0",
    )
    assert (vfs["clock"], float(vfs["seconds"]), float(vfs["host_seconds"])) == ("guest", 0.005, 0.005)
    assert all(r["phase"] == "" for r in rows if r["kind"] != "call")
