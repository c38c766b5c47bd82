"""`bench --what-if` finds its levers on this machine, through the real QEMU, and says what it
left out and why."""

from __future__ import annotations

import shutil

import pytest

from uktrace.launch.levers import QBOOT, find_firmware, find_levers, firmware_dirs, machine_types
from uktrace.model.spec import DEFAULT_QEMU

pytestmark = pytest.mark.skipif(shutil.which(DEFAULT_QEMU) is None, reason="needs QEMU")


def test_firmware_is_looked_up_where_qemu_looks_for_it() -> None:
    dirs = firmware_dirs(DEFAULT_QEMU)
    assert dirs  # `-L help` lists them
    found = find_firmware(DEFAULT_QEMU, QBOOT)
    if found is None:
        assert not any((d / QBOOT).is_file() for d in dirs)
    else:
        assert found.name == QBOOT and any((d / QBOOT).resolve() == found for d in dirs)


def test_a_lever_that_is_not_there_is_skipped_with_the_reason() -> None:
    levers = find_levers(DEFAULT_QEMU, "64M", firmware="no-such-firmware.rom", machines=("pc", "no-such-machine"))
    names = [name for name, _ in levers.varied]
    assert "bios" not in names and "machine" not in names  # one machine type left is no axis
    assert any(r.startswith("bios=no-such-firmware: no no-such-firmware.rom in QEMU's") for r in levers.skipped)
    assert "machine=no-such-machine: this QEMU has no such machine type" in levers.skipped
    assert dict(levers.varied)["mem"] == ("64M", "256M")  # the run's --mem is the baseline


def test_the_preset_tries_what_this_qemu_has() -> None:
    offered = machine_types(DEFAULT_QEMU)
    assert offered is not None and "pc" in offered
    levers = find_levers(DEFAULT_QEMU, "256M")
    varied = dict(levers.varied)
    assert varied["mem"] == ("256M", "64M")
    assert varied["machine"][0] == "pc" and set(varied["machine"]) <= offered
    assert ("bios" in varied) == (find_firmware(DEFAULT_QEMU, QBOOT) is not None)
