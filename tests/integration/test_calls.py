"""Every constructor and init function of the test guest, named from its ELF and timed, in every
log format it speaks: the guest prints its `Call ...` lines at the level uktrace runs it with (its
printk has no level filter; dbg lines included), so no knob is needed to see them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import GUEST_CLOCKS, run_json, uktrace
from uktrace.kernel.find import TEST_GUEST

CONSTRUCTORS = [
    "uk_libparam_report",
    "pci_bus_register",
    "virtio_pci_register",
    "virtio_9p_register",
    "virtio_fs_register",
]
"""The test guest's `.uk_ctortab`, by priority (guest/param.c, pci_bus.c, virtio_pci.c, virtio_9p.c, virtio_fs.c)."""
INIT_FUNCTIONS = ["uk_bus_init_all", "vfscore_rootfs"]
"""Its `.uk_inittab` (guest/bus.c, rootfs.c)."""
DELAY_MS = 50


def blame(directory: Path) -> dict[str, dict[str, Any]]:
    result = uktrace("blame", "--json", str(directory))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["without_calls"] == []
    return {row["function"]: row for row in report["functions"]}


def test_blame_over_a_recorded_run(tmp_path: Path, share: Path) -> None:
    """`uktrace.delay=mount:MS` waits inside the root-mount init function: blame puts it first."""
    record = tmp_path / "run"
    append = f"uktrace.era=0.10 uktrace.delay=mount:{DELAY_MS}"
    result, process = run_json("--headless", "-n", "3", "--fs", str(share), "--append", append, "--record", str(record))
    assert process.returncode == 0, process.stderr
    for guest in result["guests"]:
        # the live JSON has every call with both clocks (named once symbols reach the timeline)
        calls = guest["calls"]
        ctors = len(CONSTRUCTORS)
        assert [c["kind"] for c in calls] == ["constructor"] * ctors + ["init"] * 2
        assert {c["clock"] for c in calls[:ctors]} == {"host"}
        assert len({c["clock"] for c in calls[ctors:]}) == 1 and calls[ctors]["clock"] in GUEST_CLOCKS
    functions = blame(record)
    assert next(iter(functions)) == "vfscore_rootfs"
    assert set(functions) == set(CONSTRUCTORS + INIT_FUNCTIONS) | {"tsc_calibration"}  # a part: its line says it
    assert all(row["named"] and row["guests"] == 3 and row["timed"] == 3 for row in functions.values())
    rootfs = functions["vfscore_rootfs"]
    assert rootfs["clock"] in GUEST_CLOCKS and rootfs["p50"] >= DELAY_MS / 1000
    assert (rootfs["library"], functions["uk_bus_init_all"]["library"]) == ("libvfscore", "libukbus")
    assert {functions[name]["clock"] for name in CONSTRUCTORS} == {"host"}


@pytest.mark.parametrize("era", ["0.4", "0.5", "0.10", "0.17"])
def test_every_era_every_call_named_from_the_elf(tmp_path: Path, era: str) -> None:
    """`uktrace.delay=constructors:MS` waits in the first constructor, before the guest clock runs:
    the host clock times it."""
    record = tmp_path / era
    append = f"uktrace.era={era} uktrace.delay=constructors:{DELAY_MS}"
    _, process = run_json("--headless", "--append", append, "--record", str(record))
    assert process.returncode == 0, process.stderr
    functions = blame(record)
    assert next(iter(functions)) == "uk_libparam_report"
    param = functions["uk_libparam_report"]
    assert param["clock"] == "host" and param["p50"] >= DELAY_MS / 1000 * 0.9
    # the saved console alone, named from the ELF: every call, in boot order, none left an address
    parsed = uktrace("parse", "--json", "--kernel", str(TEST_GUEST), str(record / "guest-1/console.raw"))
    assert parsed.returncode == 0, parsed.stderr
    (guest,) = json.loads(parsed.stdout)["guests"]
    assert [(c["phase"], c["name"]) for c in guest["calls"]] == [
        *(("constructors", name) for name in CONSTRUCTORS),
        *(("init_table", name) for name in INIT_FUNCTIONS),
    ]
