"""The console's cost per byte: kept per host, applied only where the host matches."""

from __future__ import annotations

import json
from pathlib import Path

from uktrace.launch.calibration import find, load, save
from uktrace.model.console_cost import ConsoleCost, host_key

HOST = host_key("QEMU emulator version 7.2.22", "tcg", "Intel(R) Xeon(R) Processor", "6.18.44")


def cost(per_byte_us: float, host: dict[str, str] = HOST) -> ConsoleCost:
    return ConsoleCost(per_byte_us * 1e-6, per_byte_us * 0.9e-6, per_byte_us * 1.1e-6, 16, host, 1_796_000_000.0)


def test_an_estimate_is_bytes_times_the_cost_with_its_interval() -> None:
    seconds, low, high = cost(1.12).estimate(7200)
    assert round(seconds * 1e3, 3) == 8.064 and low < seconds < high


def test_kept_per_host_the_newest_replacing_the_old(tmp_path: Path) -> None:
    path = tmp_path / "console-cost.json"
    other = host_key("QEMU emulator version 7.2.22", "kvm", "Intel(R) Xeon(R) Processor", "6.18.44")
    save(cost(2.0), path)
    save(cost(5.0, other), path)
    save(cost(1.12), path)
    assert [round(c.per_byte_s * 1e6, 2) for c in load(path)] == [5.0, 1.12]
    found = find(HOST, path)
    assert found is not None and round(found.per_byte_s * 1e6, 2) == 1.12
    assert find(host_key("QEMU 9.0", "tcg", "x", "y"), path) is None


def test_a_damaged_file_or_entry_is_no_calibration(tmp_path: Path) -> None:
    path = tmp_path / "console-cost.json"
    path.write_text("{not json")
    assert load(path) == []
    good = cost(1.0).as_dict()
    path.write_text(json.dumps([good, {"per_byte_s": "x"}, {**good, "ci": [2e-6, 1e-6]}, 3]))
    assert len(load(path)) == 1  # a string, an interval that excludes its own point, a number: refused


def test_stale_after_a_month() -> None:
    assert not cost(1.0).stale(1_796_000_000.0 + 86400)
    assert cost(1.0).stale(1_796_000_000.0 + 31 * 86400)
