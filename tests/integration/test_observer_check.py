"""`uktrace bench --observer-check`: every cell also runs unobserved, and the report says what
uktrace itself changed in each figure both sides measure, with compare's intervals and verdicts."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest

from tests.integration.conftest import qemu_processes_mentioning, uktrace
from uktrace.analysis.compare import VERDICTS
from uktrace.launch.waker import INTERVAL_S

pytestmark = pytest.mark.qemu


def test_a_bench_with_the_observer_check_reports_the_tracers_effect(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    result = uktrace(
        "bench", "--concurrency", "3", "--fs-mode", "shared", "--repeat", "2", "--observer-check",
        "--headless", "--no-warmup", "--cooldown", "0", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["plan"]["observer_check"] is True
    assert [cell["id"] for cell in results["cells"]] == sorted(
        (cell for cell in results["plan"]["order"] if "-unobserved" not in cell),
        key=results["plan"]["order"].index,
    )
    unobserved = results["unobserved"]
    assert sorted(entry["id"] for entry in unobserved) == [
        "n3-shared-r1-unobserved", "n3-shared-r1-unobserved-waker", "n3-shared-r2-unobserved", "n3-shared-r2-unobserved-waker"
    ]  # fmt: skip
    assert {entry["id"]: entry["waker_s"] for entry in unobserved}["n3-shared-r1-unobserved"] is None
    # the waker wakes as often as uktrace's loop did in the traced rounds run before it (a default first)
    order, woke = (
        results["plan"]["order"],
        {c["id"]: c["run"]["summary"]["tracer"]["booting"]["wakeups_per_s"] for c in results["cells"]},
    )
    assert all(rate > 0 for rate in woke.values())
    for entry in unobserved:
        if entry["id"].endswith("-waker"):
            before = [rate for cell, rate in woke.items() if order.index(cell) < order.index(entry["id"])]
            expected = 1 / statistics.median(before) if before else INTERVAL_S
            assert entry["waker_s"] == pytest.approx(expected, abs=1e-6)
    for entry in unobserved:
        assert (out / entry["recording"]).is_dir()
        for guest in entry["run"]["guests"]:
            assert guest["status"] == "exited" and guest["host"]["error"] is None
            assert guest["times"]["total"] > 0 and guest["times"]["clocks"]["total"] == "host"
            assert {phase["clock"] for phase in guest["phases"]} <= {"guest", "guest (corrected)"}
            assert (out / entry["recording"] / guest["name"] / "console.raw").stat().st_size > 1000
    (cell,) = results["observer"]
    assert cell["cell"] == "n3-shared"
    metrics = {row["metric"]: row for row in cell["metrics"]}
    # (mount ends at the banner, a line without a stamp: a saved console bounds it between two
    # stamps, so the unobserved side times it only when they lie close: it may not be compared)
    assert metrics["total"]["clock"] == "host" and "main" in metrics and "9p_handshake" in metrics
    assert not {"spawn", "gate", "firmware", "boot"} & set(metrics)  # no host-clock figure unobserved
    assert all(
        row["verdict"] in VERDICTS and "host" not in row["clock"] for name, row in metrics.items() if name != "total"
    )
    # the effect split: the waker's side against unobserved, traced against the waker's side
    for split in ("wakeups", "beyond_wakeups"):
        split_metrics = {row["metric"]: row for row in cell[split]}
        assert "total" in split_metrics and "main" in split_metrics
        assert all(row["verdict"] in VERDICTS for row in split_metrics.values())
    for traced in results["cells"]:  # uktrace's own CPU in each cell, and while its guests booted
        tracer = traced["run"]["summary"]["tracer"]
        booting = tracer["booting"]
        assert 0 < booting["cpu_s"] <= tracer["cpu_user_s"] + tracer["cpu_system_s"] + 0.01
        assert 0 < booting["window_s"] <= traced["wall_s"] and booting["cpus"] >= 1
        assert booting["share"] == pytest.approx(booting["cpu_s"] / booting["window_s"] / booting["cpus"], rel=0.01)
    report = (out / "report.md").read_text()
    assert "### What uktrace itself cost" in report and "**n3-shared:**" in report
    assert "**3 guests, shared fs:** uktrace's own CPU while the guests booted: " in report
    assert "| n3-shared | total | host |" in report
    said = re.search(
        r"\*\*n3-shared, of which:\*\* its wake-ups alone \(unobserved beside a thread that only wakes, "
        r"(\d+) times a second; uktrace's loop, traced: (\d+): ",
        report,
    )
    assert said is not None, report  # how often each woke, from the results
    sleeps = [entry["waker_s"] for entry in unobserved if entry["waker_s"]]
    assert int(said[1]) == round(1 / statistics.median(sleeps))
    assert int(said[2]) == round(statistics.median(woke.values()))
    assert "What uktrace itself cost" in result.stdout  # the findings on the terminal too
    assert qemu_processes_mentioning(str(out)) == []
    # kept for this host: a run of as many guests here says what its figures carry, in the tables'
    # footer and the JSON's summary; one of another size says nothing it does not know
    shared = tmp_path / "share"
    shared.mkdir()
    (shared / "hello.txt").write_text("hi\n")
    said = uktrace("run", "-n", "3", "--fs", str(shared), "--headless", "--record", str(tmp_path / "run3"))
    assert "uktrace's own effect at 3 guests here (bench --observer-check, shared fs, " in said.stdout, said.stdout
    assert "uktrace's own CPU while the guests booted: " in said.stdout
    run = json.loads(uktrace("run", "-n", "3", "--fs", str(shared), "--json").stdout)
    assert run["summary"]["observer"]["cell"] == "n3-shared"
    assert run["summary"]["observer"]["sentence"].startswith("uktrace's own effect at 3 guests here")
    other = uktrace("run", "-n", "2", "--headless", "--record", str(tmp_path / "run2"))
    assert "uktrace's own effect" not in other.stdout
    # the recording keeps it: its replay says the recording host's check, elsewhere and later
    live = json.loads((tmp_path / "run3" / "session.json").read_text())["observer"]
    assert live["cell"] == "n3-shared" and live["concurrency"] == 3
    replayed = uktrace("replay", str(tmp_path / "run3"), "--headless", "--speed", "0")
    assert "uktrace's own effect at 3 guests where recorded (bench --observer-check, shared fs, " in replayed.stdout
    again = json.loads(uktrace("replay", str(tmp_path / "run3"), "--json", "--speed", "0").stdout)
    assert again["summary"]["observer"]["sentence"].startswith("uktrace's own effect at 3 guests where recorded")
    assert json.loads((tmp_path / "run2" / "session.json").read_text())["observer"] is None


def test_the_observer_check_needs_qemu_here() -> None:
    result = uktrace("bench", "--observer-check", "--cmd", "true", "--headless")
    assert result.returncode == 2 and "--observer-check runs QEMU itself" in result.stderr
