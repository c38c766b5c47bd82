"""`uktrace bench` on the test guest: a 1, 4 × independent, shared × 2 rounds matrix, end to end."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import GUEST_CLOCKS, qemu_processes_mentioning, uktrace


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("bench") / "out"
    process = uktrace(
        "bench", "--concurrency", "1,4", "--repeat", "2", "--cooldown", "0.2", "--out", str(out), timeout=300
    )
    assert process.returncode == 0, process.stderr
    return out, process


def test_every_guest_of_every_cell_is_accounted_for(bench: tuple[Path, Any]) -> None:
    out, _ = bench
    results = json.loads((out / "results.json").read_text())
    assert results["kind"] == "bench" and results["format"] == 1
    plan = results["plan"]
    assert plan["concurrency"] == [1, 4] and plan["fs_modes"] == ["independent", "shared"]
    # interleaved: each round holds every cell once, and the order is the plan's
    assert [cell["id"] for cell in results["cells"]] == plan["order"]
    assert sorted(plan["order"][:4]) == sorted(f"n{n}-{m}-r1" for n in (1, 4) for m in ("independent", "shared"))
    assert len(results["cells"]) == 8
    for cell in results["cells"]:
        guests = cell["run"]["guests"]
        assert len(guests) == cell["concurrency"]
        assert all(g["status"] == "exited" and g["exit_code"] == 0 for g in guests)
        assert (out / cell["recording"] / "session.json").is_file()
        for guest in guests:
            phases = {p["name"]: p for p in guest["phases"]}
            # both clocks present; mount and main timed by the guest's own stamps, and not zero
            assert phases["mount"]["guest"]["end"] is not None and phases["mount"]["host"]["end"] is not None
            assert guest["times"]["clocks"]["mount"] == guest["times"]["clocks"]["main"] in GUEST_CLOCKS
            assert guest["times"]["mount"] > 0 and guest["times"]["main"] > 0
            assert phases["spawn"]["clock"] == "host"
            # CPU accounting per host-timed phase; firmware ran on a CPU for a while, from the
            # gate's reading on (paused until its `cont`: however late uktrace got to it after)
            assert guest["cpu"]["firmware"]["cpu_s"] > 0 and guest["cpu"]["gate"]["cpu_s"] == 0
    pooled = {(c["concurrency"], c["fs_mode"]): c for c in results["summary"]["cells"]}
    assert set(pooled) == {(1, "independent"), (1, "shared"), (4, "independent"), (4, "shared")}
    four = pooled[(4, "shared")]
    assert four["guests"] == 8 and four["rounds"] == 2 and four["statuses"] == {"exited": 8}
    total = four["figures"]["total"]
    assert total["count"] == 8 and total["clock"] == "host" and total["ci95"] is not None
    assert total["ci95"][0] <= total["p50"] <= total["ci95"][1]
    assert four["figures"]["mount"]["clock"] in GUEST_CLOCKS
    assert 0 <= four["cpu"]["firmware"]["wait_share"] <= 1
    assert qemu_processes_mentioning(str(out)) == []


def test_csv_is_tidy_with_both_clocks(bench: tuple[Path, Any]) -> None:
    out, _ = bench
    with (out / "results.csv").open() as file:
        rows = list(csv.DictReader(file))
    results = json.loads((out / "results.json").read_text())
    phase_rows = [r for r in rows if r["kind"] == "phase"]
    assert len(phase_rows) == sum(len(g["phases"]) for c in results["cells"] for g in c["run"]["guests"])
    mounts = [r for r in phase_rows if r["name"] == "mount"]
    assert len(mounts) == 20 and all(r["clock"] in GUEST_CLOCKS and float(r["guest_seconds"]) > 0 for r in mounts)
    assert all(r["host_seconds"] != "" for r in mounts)
    figures = {r["name"] for r in rows if r["kind"] == "figure"}
    assert figures == {"boot", "mount", "main", "total"}


def test_report_and_plots(bench: tuple[Path, Any]) -> None:
    out, process = bench
    report = (out / "report.md").read_text()
    results = json.loads((out / "results.json").read_text())
    assert "## Findings" in report and "### How boot scales" in report
    assert "### Independent vs shared" in report and "### Where the total goes" in report
    assert "### Waiting for a CPU" in report
    # a figure the report states comes from the data: the pooled total p50 of the 4-guest shared cell
    pooled = {(c["concurrency"], c["fs_mode"]): c for c in results["summary"]["cells"]}
    p50 = pooled[(4, "shared")]["figures"]["total"]["p50"]
    shown = f"{p50 * 1000:.1f} ms" if p50 < 1 else f"{p50:.2f} s"
    assert "| 4 shared | total | host | 8 |" in report and shown in report
    for name in ("phases_stacked.svg", "total_cdf.svg", "phase_scaling.svg", "cpu_wait.svg"):
        assert ET.parse(out / name).getroot().tag.endswith("svg")
        assert f"![{name}]({name})" in report
    assert "How boot scales" in process.stdout and "results in" in process.stdout


def test_bad_input_is_one_line_and_touches_nothing(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep me")
    for args, message in (
        (("--concurrency", "1,x"), "--concurrency 1,x"),
        (("--concurrency", "0"), "at least 1"),
        (("--fs-mode", "private"), "--fs-mode private"),
        (("--repeat", "0"), "--repeat"),
        (("--out", str(taken)), "not empty"),
        (("/nonexistent/kernel",), "no such kernel"),
    ):
        process = (
            uktrace("bench", *args, "--out", str(tmp_path / "new")) if "--out" not in args else uktrace("bench", *args)
        )
        assert process.returncode == 2, (args, process.stderr)
        assert message in process.stderr and "Traceback" not in process.stderr
    assert (taken / "mine.txt").read_text() == "keep me" and sorted(p.name for p in taken.iterdir()) == ["mine.txt"]
    assert not (tmp_path / "new").exists()
