"""`uktrace bench --vary` on the test guest, end to end: two of its eras as releases crossed with a
firmware file that is not there, each cell an ordinary recording, and the what-if report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import qemu_processes_mentioning, uktrace

pytestmark = pytest.mark.qemu

MISSING = "/nonexistent/firmware.rom"


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("whatif") / "out"
    process = uktrace(
        "bench",
        "--vary", "append=uktrace.era=0.4,uktrace.era=0.17",
        "--vary", f"bios=default,{MISSING}",
        "--repeat", "2", "--cooldown", "0.1", "--no-warmup", "--headless", "--out", str(out),
        timeout=300,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    return out, process


def test_every_configuration_runs_in_every_round_as_a_recording(bench: tuple[Path, Any]) -> None:
    out, _ = bench
    results = json.loads((out / "results.json").read_text())
    plan = results["plan"]
    assert [a["name"] for a in plan["axes"]] == ["append", "bios"] and plan["configs"] == 4
    assert plan["fs_modes"] == ["none"] and plan["concurrency"] == [1]  # the defaults with --vary
    assert [cell["id"] for cell in results["cells"]] == plan["order"] and len(plan["order"]) == 8
    for cell in results["cells"]:
        assert (out / cell["recording"] / "session.json").is_file()
        (guest,) = cell["run"]["guests"]
        if cell["config"]["bios"] == MISSING:  # QEMU cannot start: that configuration's failure
            assert guest["status"] == "failed" and MISSING in guest["crash"]["reason"]
        else:
            era = cell["config"]["append"].removeprefix("uktrace.era=")
            assert guest["status"] == "exited" and guest["unikraft"]["version"] == f"{era}.0"
    assert [tuple(c["config"].values()) for c in results["summary"]["cells"]] == [
        ("uktrace.era=0.4", "default"), ("uktrace.era=0.4", MISSING),
        ("uktrace.era=0.17", "default"), ("uktrace.era=0.17", MISSING),
    ]  # fmt: skip
    assert qemu_processes_mentioning(str(out)) == []


def test_the_report_ranks_configurations_and_keeps_failures_apart(bench: tuple[Path, Any]) -> None:
    out, process = bench
    report = (out / "report.md").read_text()
    ranked = report.split("### Configurations ranked by total p50 (1 guest, no share)")[1].split("\n\n")[1]
    rows = ranked.splitlines()[2:]
    # the two that booted ranked by their total, the two that failed last (no total)
    assert [row.split(" | ")[1] for row in rows][2:] == ["bios=firmware", "append=uktrace.era=0.17 bios=firmware"]
    assert "(the baseline)" in rows[0] + rows[1]
    failures = report.split("### Failures per configuration")[1].split("###")[0]
    assert failures.count("failed: QEMU exited with status 1") == 2 and MISSING in failures
    # the release table: both eras, each phase's p50 with its interval
    releases = report.split("## Boot baseline across releases (append, 1 guest, no share)")[1].split("\n\n")[1]
    header = releases.splitlines()[0]
    assert "0.4.0 era (uktrace.era=0.4)" in header and "0.17.0 era (uktrace.era=0.17)" in header
    assert any(line.startswith("| subsystems | ") for line in releases.splitlines())
    assert (out / "whatif_append.svg").is_file() and (out / "releases_append.svg").is_file()
    assert "Configurations ranked by total p50" in process.stdout  # the terminal shows the findings
    cost = report.split("### What uktrace itself cost")[1].split("##")[0]
    assert "uktrace's own CPU while the guests booted" in cost and "bios=firmware" in cost


def test_compare_reads_each_configuration_as_a_cell(bench: tuple[Path, Any]) -> None:
    out, _ = bench
    process = uktrace("compare", str(out), str(out), "--json", timeout=120)
    assert process.returncode == 0, process.stderr
    cells = {cell["cell"] for cell in json.loads(process.stdout)["comparisons"][0]["cells"]}
    assert "n1-none-append=uktrace.era=0.4-bios=default" in cells and len(cells) == 4
