"""`uktrace calibrate` on this host: the test guest prints known amounts, the cost per byte is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_calibrate_measures_and_keeps_a_cost_per_byte(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "uktrace", "calibrate", "--rounds", "2"],
        capture_output=True,
        text=True,
        env=os.environ | {"XDG_CACHE_HOME": str(tmp_path)},
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("console cost: ") and "µs per byte (95 % CI" in result.stdout
    (entry,) = json.loads((tmp_path / "uktrace" / "console-cost.json").read_text())
    assert entry["runs"] == 8 and entry["host"]["accel"] == "tcg" and entry["host"]["qemu"].startswith("QEMU")
    low, high = entry["ci"]
    assert 0 <= low <= entry["per_byte_s"] <= high
    assert 1e-8 < entry["per_byte_s"] < 1e-4  # a UART byte costs between 10 ns and 100 µs of boot


def test_rounds_below_two_are_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "uktrace", "calibrate", "--rounds", "1"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "--rounds must be at least 2" in result.stderr
