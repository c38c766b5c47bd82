"""`uktrace calibrate`: measure what a console byte costs a guest on this host, and keep it.

The test guest prints known amounts (`uktrace.fault=flood=KIB`: debug lines at full speed, in main);
each boot runs alone and unobserved (`launch.unobserved`: the console into a file, so the tracer's
reading is not part of the cost), and the cost per byte is the Theil-Sen slope of the boot's
`total` (host clock, spawn to exit: immune to a disturbed guest clock) against the console's bytes,
with its 95 % interval. Sizes run interleaved, rounds after rounds, so a drifting host hits them
alike. The result is kept in `$XDG_CACHE_HOME/uktrace/console-cost.json`, one entry per host key
(`model.console_cost.host_key`); a run whose key has no entry says so rather than guess.
"""

from __future__ import annotations

import functools
import json
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import anyio

from ..kernel.find import TEST_GUEST
from ..model.console_cost import ConsoleCost, host_key
from ..model.spec import GuestSpec
from ..model.theil_sen import theil_sen
from .cache import cache_file, replace_json

SIZES_KIB = (0, 128, 256, 512)
"""Console sizes printed by the test guest: up to ~540 KB, ~0.6 s of printing under TCG here."""


def cache_path() -> Path:
    return cache_file("console-cost.json")


@functools.cache
def this_host(qemu: str, accel: str) -> dict[str, str]:
    """The host key of `qemu` with `accel` here (its version line, the CPU model, the kernel):
    asked once per process (a QEMU's `--version` is a process of its own); the caller must not
    change the dict."""
    try:
        version = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        version = ""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return host_key(version.splitlines()[0] if version else qemu, accel, cpu, platform.release())


def calibrate(
    qemu: str, accel: str, rounds: int = 4, progress: Callable[[str], None] | None = None
) -> ConsoleCost | None:
    """Boot the test guest `rounds` times per size; None when too few boots ended to fit."""
    from .unobserved import run_unobserved  # the launcher: only when calibrating, not to look one up

    points: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="uktrace-calibrate-") as scratch:
        for round_ in range(1, rounds + 1):
            for size in SIZES_KIB:
                append = "uktrace.era=0.10" + (f" uktrace.fault=flood={size}" if size else "")
                spec = GuestSpec(f"guest-{round_}-{size}", TEST_GUEST, accel, qemu=qemu, append=append, debug_exit=True)
                (guest,) = anyio.run(run_unobserved, [spec], Path(scratch) / spec.name)
                if guest.error is None and guest.qemu_status == 1 and guest.total_s is not None:
                    points.append((float(guest.console.stat().st_size), guest.total_s))
                if progress is not None:
                    progress(f"round {round_}/{rounds}: {size} KiB printed, total {guest.total_s or 0:.3f} s")
    fit = theil_sen([total for _, total in points], [size for size, _ in points])
    if fit is None or len(points) < len(SIZES_KIB) or fit.slope <= 0:
        return None
    return ConsoleCost(fit.slope, max(fit.low, 0.0), fit.high, len(points), this_host(qemu, accel), time.time())


def load(path: Path | None = None) -> list[ConsoleCost]:
    """Every calibration kept; a missing, unreadable or damaged file is none."""
    try:
        entries = json.loads((path or cache_path()).read_text())
    except (OSError, ValueError):
        return []
    found = [ConsoleCost.from_dict(entry) for entry in entries] if isinstance(entries, list) else []
    return [cost for cost in found if cost is not None]


def save(cost: ConsoleCost, path: Path | None = None) -> Path:
    """Keep `cost`, replacing the entry of the same host key; written atomically."""
    path = path or cache_path()
    kept = [entry for entry in load(path) if entry.host != cost.host] + [cost]
    replace_json(path, [entry.as_dict() for entry in kept])
    return path


def find(host: dict[str, str], path: Path | None = None) -> ConsoleCost | None:
    """The calibration made for `host`, if any."""
    return next((cost for cost in load(path) if cost.host == host), None)
