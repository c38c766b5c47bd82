"""The accelerator each guest gets: TCG (software) or KVM, chosen explicitly and shown.

TCG is the default: on nested-KVM hosts creating a VM costs seconds and real Unikraft images die
with "KVM internal error", while TCG boots them in ~0.3 s. `auto` means what works here: KVM
when /dev/kvm opens and a probe guest (`launch.probe`) runs under it with the run's CPU model,
in at most `SLOWER_AT_MOST` times what TCG takes (never less than `KVM_FLOOR_S`); else TCG, with
the reason. The verdict is kept per host until it reboots (`CACHE`), for the same QEMU, machine
and CPU model: a probe costs ~1.2 s on this nested host, ~0.3 s where KVM is real.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..recording.record import boot_id
from .cache import cache_file, replace_json
from .probe import ProbeRun, run_probe
from .qemu import DEFAULT_CPU

ACCELS = ("tcg", "kvm", "auto")
KVM_DEVICE = "/dev/kvm"
SLOWER_AT_MOST = 3.0
"""KVM may take up to this many times TCG's time on the probe and still be chosen: both are mostly
QEMU's start where KVM is real (measured ~0.1-0.3 s each); on this nested host KVM took 2-7 s to
TCG's 0.2-0.4 s. The margin absorbs a loaded host's noise, not a nested KVM's cost."""
KVM_FLOOR_S = 1.0
"""KVM's probe always gets at least this long (a loaded host can start any QEMU slowly)."""
TCG_DEADLINE_S = 30.0
PROBE_VERSION = 1
"""Part of the cache key: a change to the probe or its rule makes old verdicts stale."""


class AccelError(Exception):
    """KVM was asked for and cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class AccelChoice:
    """The accelerator a run's guests get, and why."""

    accel: str
    """`tcg` or `kvm`."""
    reason: str | None = None
    """Why `auto` chose it (`auto: KVM had not run a probe guest after 1.0 s; TCG ran it in 0.21 s`);
    None when it was asked for by name."""
    kvm_s: float | None = None
    """The probe's time under KVM (to its deadline when it did not finish)."""
    tcg_s: float | None = None
    probed_at: float | None = None
    """When the probe ran (epoch seconds); earlier than this run when the verdict was cached."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def kvm_problem(device: str = KVM_DEVICE) -> str | None:
    """Why KVM cannot be used here, or None when /dev/kvm opens read-write."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return f"{device} does not exist (KVM disabled in the BIOS, module not loaded, or a VM without nesting)"
    except PermissionError:
        return f"{device}: permission denied (join the 'kvm' group: sudo usermod -aG kvm $USER, then log in again)"
    except OSError as error:
        return f"{device}: {os.strerror(error.errno or errno.EIO)}"
    os.close(fd)
    return None


def choose_accel(
    requested: str,
    qemu: str = "qemu-system-x86_64",
    machine: str = "pc",
    cpu: str | None = None,
    device: str = KVM_DEVICE,
    cache: Path | None = None,
) -> AccelChoice:
    """The accelerator for `requested` (`tcg`, `kvm`, `auto`); raises when `kvm` is impossible.
    `cache`: the verdicts file (default `CACHE`)."""
    if requested == "tcg":
        return AccelChoice("tcg")
    problem = kvm_problem(device)
    if requested == "kvm":
        if problem:
            raise AccelError(f"--accel kvm: {problem}; use --accel tcg")
        return AccelChoice("kvm")
    if problem:
        return AccelChoice("tcg", f"auto: {problem}")
    kvm_cpu = cpu or DEFAULT_CPU["kvm"]
    path = cache if cache is not None else cache_path()
    key = _cache_key(qemu, machine, kvm_cpu)
    if key is not None and (known := _cached(path, key)) is not None:
        return known
    tcg = run_probe(qemu, "tcg", cpu or DEFAULT_CPU["tcg"], machine, TCG_DEADLINE_S)
    deadline = max(KVM_FLOOR_S, SLOWER_AT_MOST * tcg.seconds) if tcg.ran else TCG_DEADLINE_S
    kvm = run_probe(qemu, "kvm", kvm_cpu, machine, deadline)
    choice = judge(kvm, tcg, kvm_cpu)
    if key is not None:
        _remember(path, key, choice)
    return choice


def judge(kvm: ProbeRun, tcg: ProbeRun, cpu: str) -> AccelChoice:
    """KVM when it ran the probe guest (within its deadline: `SLOWER_AT_MOST` times TCG's time);
    else TCG, saying what KVM did."""
    now = time.time()
    figures = {"kvm_s": round(kvm.seconds, 3), "tcg_s": round(tcg.seconds, 3), "probed_at": round(now, 3)}
    if kvm.ran:
        if tcg.ran:
            return AccelChoice(
                "kvm", f"auto: KVM ran a probe guest in {kvm.seconds:.2f} s, TCG in {tcg.seconds:.2f} s", **figures
            )
        return AccelChoice(
            "kvm", f"auto: KVM ran a probe guest in {kvm.seconds:.2f} s; TCG did not ({_why(tcg)})", **figures
        )
    took = f"TCG ran it in {tcg.seconds:.2f} s" if tcg.ran else f"TCG did not run it either ({_why(tcg)})"
    if kvm.late:
        said = f" ({kvm.problem})" if kvm.problem else ""
        return AccelChoice(
            "tcg", f"auto: KVM had not run a probe guest after {kvm.seconds:.1f} s{said}; {took}", **figures
        )
    return AccelChoice("tcg", f"auto: KVM failed a probe guest with -cpu {cpu}: {kvm.problem}; {took}", **figures)


def _why(run: ProbeRun) -> str:
    if run.late:
        return f"no exit after {run.seconds:.1f} s" + (f": {run.problem}" if run.problem else "")
    return run.problem or "no marker on its console"


def cache_path() -> Path:
    """`$XDG_CACHE_HOME/uktrace/accel.json` (default `~/.cache/...`)."""
    return cache_file("accel.json")


def _cache_key(qemu: str, machine: str, cpu: str) -> str | None:
    """This boot of this host, this QEMU binary (path, size, mtime), machine and CPU model: what
    the verdict depends on. None (no caching) without a boot id or a QEMU to stat."""
    boot = boot_id()
    found = shutil.which(qemu)
    if boot is None or found is None:
        return None
    binary = Path(found).resolve()
    try:
        stat = binary.stat()
    except OSError:
        return None
    return f"v{PROBE_VERSION}|{boot}|{binary}|{stat.st_size}|{stat.st_mtime_ns}|{machine}|{cpu}"


def _cached(path: Path, key: str) -> AccelChoice | None:
    try:
        entry = json.loads(path.read_text())[key]
        choice = AccelChoice(**entry)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if choice.accel not in ("tcg", "kvm") or choice.reason is None or choice.probed_at is None:
        return None
    when = time.strftime("%H:%M", time.localtime(choice.probed_at))
    return AccelChoice(
        choice.accel,
        f"{choice.reason} (probed at {when}, kept until the host reboots)",
        choice.kvm_s,
        choice.tcg_s,
        choice.probed_at,
    )


def _remember(path: Path, key: str, choice: AccelChoice) -> None:
    """Keep the verdict (this boot's only: older ones go); a cache that cannot be written is skipped."""
    boot = key.split("|")[1]
    try:
        try:
            known = {k: v for k, v in json.loads(path.read_text()).items() if k.split("|")[1:2] == [boot]}
        except (OSError, ValueError, AttributeError):
            known = {}
        known[key] = choice.as_dict()
        replace_json(path, known, indent=1)
    except OSError:
        pass
