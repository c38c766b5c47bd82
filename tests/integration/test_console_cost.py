"""Every guest's console priced: bytes always, the cost of printing them with this host's calibration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from uktrace.launch.calibration import save, this_host
from uktrace.model.console_cost import ConsoleCost

pytestmark = pytest.mark.qemu


def run_json(cache: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "uktrace", "run", "--json", "--append", "uktrace.era=0.10"],
        capture_output=True,
        text=True,
        env=os.environ | {"XDG_CACHE_HOME": str(cache)},
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_without_a_calibration_the_bytes_and_why(tmp_path: Path) -> None:
    document = run_json(tmp_path)
    (guest,) = document["guests"]  # type: ignore[misc]
    console = guest["console"]
    assert console["bytes"] == guest["host"]["bytes"] > 1000 and 0 < console["debug_bytes"] < console["bytes"]
    assert console["cost_s"] is None and "uktrace calibrate" in console["why"]
    assert "its cost unknown" in document["summary"]["console"]  # type: ignore[index]


def test_with_this_hosts_calibration_each_guest_is_priced(tmp_path: Path) -> None:
    per_byte = 1.12e-6
    cost = ConsoleCost(per_byte, 1.0e-6, 1.3e-6, 16, this_host("qemu-system-x86_64", "tcg"), time.time())
    save(cost, tmp_path / "uktrace" / "console-cost.json")
    document = run_json(tmp_path)
    (guest,) = document["guests"]  # type: ignore[misc]
    console = guest["console"]
    assert console["cost_s"] == pytest.approx(console["bytes"] * per_byte, abs=1e-6)
    assert console["ci"] == pytest.approx([console["bytes"] * 1.0e-6, console["bytes"] * 1.3e-6], abs=1e-6)
    assert console["debug_cost_s"] == pytest.approx(console["debug_bytes"] * per_byte, abs=1e-6)
    assert console["in_guest_s"] > 0 and console["why"] is None
    summary = document["summary"]["console"]  # type: ignore[index]
    assert summary.startswith(f"console ≈ {console['cost_s'] * 1e3:.1f} ms (95 % CI ")
    assert "a build without debug lines ≈" in summary
