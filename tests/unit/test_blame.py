"""`uktrace blame`: the aggregation across guests, and the command on recordings and logs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, log, say_in_session, tracer_booting, uktrace
from uktrace.analysis.blame import blame
from uktrace.model.calls import Call

RECORDINGS = DATA / "recordings"


def guest_call(name: str | None, address: int, start: float, end: float, clock: str = "guest") -> Call:
    """A named init call timed on `clock` (a guest stamp of 0 means the guest clock was not running)."""
    if clock == "guest":
        return Call("init_table", "init", address, name=name, guest_start=start, guest_end=end)
    return Call(
        "constructors",
        "constructor",
        address,
        name=name,
        guest_start=0.0,
        guest_end=0.0,
        host_start=start,
        host_end=end,
    )


def test_per_function_across_guests_slowest_p95_first() -> None:
    guests = [
        [guest_call("uk_bus_init_all", 0x10, 0.10, 0.11), guest_call("vfscore_rootfs", 0x20, 0.11, 0.15)],
        [guest_call("uk_bus_init_all", 0x10, 0.10, 0.13), guest_call("vfscore_rootfs", 0x20, 0.13, 0.14)],
        [guest_call("uk_bus_init_all", 0x10, 0.10, 0.12)],
    ]
    rows = blame(guests)
    assert [(r.function, r.guests, r.calls) for r in rows] == [("vfscore_rootfs", 2, 2), ("uk_bus_init_all", 3, 3)]
    rootfs, bus = rows
    assert (rootfs.p50, rootfs.p95, rootfs.clock) == (pytest.approx(0.01), pytest.approx(0.04), "guest")
    assert (bus.p50, bus.p95) == (pytest.approx(0.02), pytest.approx(0.03))


def test_clocks_mixed_untimed_and_unnamed() -> None:
    untimed = Call("constructors", "constructor", 0x30, guest_start=0.0, guest_end=0.0)
    rows = blame(
        [
            [guest_call("ctor", 0x40, 1.0, 1.002, clock="host"), untimed],
            [guest_call("ctor", 0x40, 1.0, 1.001, clock="host")],
        ]
    )
    ctor, unnamed = rows
    assert (ctor.function, ctor.named, ctor.clock, ctor.timed) == ("ctor", True, "host", 2)
    assert (unnamed.function, unnamed.named, unnamed.p95, unnamed.clock, unnamed.timed) == (
        "0x30",
        False,
        None,
        None,
        0,
    )


def test_blame_a_recording_names_every_function_from_its_own_table() -> None:
    result = uktrace("blame", "--json", str(RECORDINGS / "shared-8"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["guests"] == 8 and report["without_calls"] == []
    functions = {row["function"]: row for row in report["functions"]}
    assert set(functions) == {
        "uk_libparam_report",
        "pci_bus_register",
        "virtio_pci_register",
        "virtio_9p_register",
        "uk_bus_init_all",
        "vfscore_rootfs",
        "tsc_calibration",
    }
    assert all(row["named"] and row["guests"] == 8 for row in functions.values())
    # the calibration is no function of a table, but the console names it: a part of subsystems
    calibration = functions["tsc_calibration"]
    assert (calibration["kind"], calibration["phase"], calibration["timed"]) == ("part", "subsystems", 8)
    assert report["functions"][0]["function"] == "tsc_calibration"  # the slowest thing these boots did
    # 5 of the 8 guests' clocks ran 1.4-1.7x slow (TSC calibration disturbed): corrected
    assert {functions[name]["clock"] for name in ("uk_bus_init_all", "vfscore_rootfs")} == {"guest (part corrected)"}
    assert functions["pci_bus_register"]["clock"] == "host"  # constructors run before calibration
    assert functions["uk_bus_init_all"]["library"] == "libukbus"
    p95 = [row["p95"] for row in report["functions"]]
    assert p95 == sorted(p95, reverse=True)


def test_blame_table_and_the_option_for_logs_without_call_lines() -> None:
    result = uktrace("blame", str(log("001")), str(log("016")))
    assert result.returncode == 0, result.stderr
    assert "0x1110a0" in result.stdout and "untimed" in result.stdout
    assert "1 of 2 printed no call lines: 016-v0.17" in result.stdout
    assert "CONFIG_LIBUKDEBUG_PRINTD=y" in result.stdout
    assert "give --kernel ELF or --symbols FILE" in result.stdout


def test_logs_named_with_a_recordings_table() -> None:
    (table,) = (RECORDINGS / "shared-8" / "kernels").glob("*.symbols")
    console = RECORDINGS / "shared-8" / "guest-1" / "console.raw"
    result = uktrace("blame", "--json", "--symbols", str(table), str(console))
    assert {row["function"] for row in json.loads(result.stdout)["functions"]} >= {"uk_bus_init_all", "vfscore_rootfs"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["blame", "no-such.log"], "uktrace blame: no-such.log: no such file"),
        (["blame", str(log("001")), "--symbols", "no-such.elf"], "uktrace blame: no-such.elf: no such file"),
        (["parse", str(log("001")), "--kernel", "README.md"], "uktrace parse: README.md: no function symbols"),
        (["blame", str(DATA)], "not a uktrace recording"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = uktrace(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_parse_nests_named_functions_under_their_phase() -> None:
    (table,) = (RECORDINGS / "crash-3" / "kernels").glob("*.symbols")
    result = uktrace("parse", "--symbols", str(table), str(RECORDINGS / "crash-3" / "guest-1" / "console.raw"))
    assert result.returncode == 1, result.stderr  # the guest crashed
    lines = result.stdout.splitlines()
    init = next(i for i, line in enumerate(lines) if "│ init_table" in line)
    assert "uk_bus_init_all" in lines[init + 1] and "libukbus" in lines[init + 1]
    assert "│   bus_probe" in lines[init + 2]  # a part of the init table, after the function that ran it began
    assert "vfscore_rootfs" in lines[init + 3]


def test_blame_says_what_each_recording_says_uktrace_took_and_changed(tmp_path: Path) -> None:
    shutil.copytree(RECORDINGS / "crash-3", tmp_path / "rec")
    before = json.loads(uktrace("blame", "--json", str(tmp_path / "rec")).stdout)
    assert before["recordings"] == [{"source": str(tmp_path / "rec"), "tracer": None, "observer": None}]
    booting = tracer_booting(0.03, wakeups_per_s=250.0)
    effect = {"concurrency": 3, "made": 1796700965.1, "fs": None, "metrics": [{"metric": "main", "verdict": "faster",
              "difference": -0.1, "median_unobserved": 0.5, "interval": [-0.2, -0.05]}]}  # fmt: skip
    say_in_session(tmp_path / "rec", tracer=booting, observer=effect)
    table = uktrace("blame", str(tmp_path / "rec")).stdout
    assert (
        f"{tmp_path / 'rec'}: uktrace's own CPU while the guests booted (recorded): 60.0 ms, 3.0 % of 2 CPUs" in table
    )
    assert f"{tmp_path / 'rec'}: uktrace's own effect at 3 guests where recorded (bench --observer-check, " in table
    said = json.loads(uktrace("blame", "--json", str(tmp_path / "rec")).stdout)["recordings"]
    assert said == [{"source": str(tmp_path / "rec"), "tracer": booting, "observer": effect}]
