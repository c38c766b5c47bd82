"""A guest clock that runs slow, made deterministic: the test guest's `uktrace.calib_stall=MS` misses
MS ms of the i8254 while it calibrates its TSC, as a vCPU descheduled that long does (100 ms: the
estimate comes out ~5x too high, the clock runs ~5x slow; the host's load can only add to it).
uktrace must see it, say it, and correct the guest-clock figures to what the host saw."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.conftest import run_json, uktrace

STALL_MS = 100
MAIN_MS = 200
"""`uktrace.delay=main:MS` busy-waits on the guest's own (slow) clock: main lasts ~MAIN_MS / rate."""
PROBE_MS = 100
"""A wait in bus_probe too: the console goes quiet twice, so even a loaded host reads it in several
chunks, the points the rate is fitted to (`model.clock_rate`)."""


def host_tsc_hz() -> float | None:
    """The host's TSC frequency where the kernel knows it (`tsc_known_freq`): `cpu MHz` is it then."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    flags = re.search(r"^flags\s*:(.*)$", cpuinfo, re.M)
    mhz = re.search(r"^cpu MHz\s*:\s*([\d.]+)", cpuinfo, re.M)
    if flags is None or mhz is None or "tsc_known_freq" not in flags.group(1).split():
        return None
    return float(mhz.group(1)) * 1e6


def test_a_stalled_calibration_is_seen_and_its_figures_corrected(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    append = f"uktrace.era=0.10 uktrace.calib_stall={STALL_MS} uktrace.delay=bus_probe:{PROBE_MS},main:{MAIN_MS}"
    document, result = run_json("-n", "3", "--append", append, "--record", str(record))
    assert result.returncode == 0, result.stderr
    summary = document["summary"]["guest_clock"]
    assert summary["guests"] == summary["known"] == summary["skewed"] == 3
    reference = summary["reference_hz"]
    assert reference is not None
    for guest in document["guests"]:
        clock = guest["guest_clock"]
        assert clock["source"] == "tsc" and clock["skewed"] is True and clock["corrected"] is True
        # the stall alone makes the estimate (25 + 100 - 0) / 25 = 5x the truth
        assert clock["tsc_estimate_hz"] > 3.5 * reference
        assert clock["rate"] < 0.3 and clock["ci"][0] <= clock["rate"] <= clock["ci"][1]
        main = next(p for p in guest["phases"] if p["name"] == "main")
        assert main["clock"] == guest["times"]["clocks"]["main"] == "guest (corrected)"
        printed = main["guest"]["end"] - main["guest"]["start"]
        corrected = main["end"] - main["start"]
        seen_by_host = main["host"]["end"] - main["host"]["start"]
        assert printed < 0.3 and corrected == pytest.approx(printed / clock["rate"], rel=1e-3)
        # what the host saw of main, read lumped and late, agrees with the corrected stamps
        assert corrected == pytest.approx(seen_by_host, rel=0.3)
    known = host_tsc_hz()
    if known is not None:  # the pooled frequency is the host's TSC, which no guest printed right
        assert reference == pytest.approx(known, rel=0.02)
    # the replay of the recording says the same, in words
    replayed = uktrace("replay", str(record), "--headless", "--speed", "0")
    footer = " ".join(replayed.stdout.split())
    assert "guest clock ran" in footer and "slow" in footer and "on 3 of 3 guests" in footer, replayed.stdout
    assert "guest-clock figures are corrected" in footer
