"""From `uktrace run` options to checked guest specifications, before anything starts.

Every check a user can fail is here, with a message that says what to do: QEMU missing,
kernel missing or not bootable, share missing, KVM unusable, and limits (open files,
processes, memory) that hundreds of guests would hit.
"""

from __future__ import annotations

import math
import os
import resource
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..kernel.find import TEST_GUEST, find_kernel
from ..model.regex import RegexError, compile_regex
from ..model.script import Step
from ..model.spec import DEFAULT_QEMU, GuestSpec
from .accel import AccelChoice, choose_accel
from .shares import Progress, Shares, check_share
from .virtiofsd import FS_TYPES, DaemonError, check_daemon, find_daemon

FDS_PER_GUEST = 13
"""pty, stderr pipe, pidfd, three recording files, QEMU's side while it starts, and its /proc
files read at each phase change (`launch.thread_clocks`: its stat and ~4 threads')."""
QEMU_OVERHEAD_MIB = 48
"""Resident memory of one QEMU beyond guest RAM, measured with TCG and a 64 MiB guest."""
TEST_GUEST_APPEND = "uktrace.era=0.10"


class LaunchError(Exception):
    """A run that cannot start; the message is for the user."""


@dataclass(frozen=True)
class RunOptions:
    kernel: str | None = None
    count: int = 1
    jobs: int | None = None
    fs: Path | None = None
    fs_mode: str = "shared"
    fs_writable: bool = False
    """`--fs-rw`; independent copies stay read-only without it too, so one rule covers both modes."""
    fs_type: str = "9p"
    """`--fs-type`: how the guests get the share, `9p` or `virtiofs` (`launch.virtiofsd`)."""
    virtiofsd: str | None = None
    """`--virtiofsd PATH`: the VirtioFS daemon; None: found (`launch.virtiofsd.find_daemon`)."""
    accel: str = "tcg"
    cpu: str | None = None
    memory: str = "64M"
    append: str | None = None
    qemu: str = DEFAULT_QEMU
    machine: str = "pc"
    timeout: float | None = 60.0
    command: str | None = None
    extra: tuple[str, ...] = field(default_factory=tuple)
    ready: str | None = None
    """`--ready REGEX`: each guest's ready line (see `BootTimeline`)."""
    script: tuple[Step, ...] = ()
    """`--expect/--send`, `--script`: each guest's console conversation."""
    tty: bool = False
    """`--tty`: each `--cmd` launcher on a terminal of its own."""
    remote: bool = False
    """Guests run on cluster nodes: QEMU and memory are the nodes' (checked there), not this host's."""


def check_regex(option: str, pattern: str) -> str:
    """`pattern` when RE2 compiles it (`model.regex`: matching cannot hang); else the user's
    mistake, said in one line."""
    try:
        compile_regex(pattern, option)
    except RegexError as error:
        raise LaunchError(str(error)) from None
    return pattern


def find_qemu(qemu: str) -> str:
    path = shutil.which(qemu)
    if path is None:
        if os.sep in qemu:
            raise LaunchError(f"--qemu {qemu}: no such executable")
        raise LaunchError(
            f"{qemu} not found: install QEMU (Debian/Ubuntu: sudo apt-get install qemu-system-x86) or pass --qemu PATH"
        )
    return path


def memory_mib(memory: str) -> int:
    """`64M`, `1G`, `512` (MiB) as MiB; raises LaunchError for anything else."""
    text = memory.strip().upper().removesuffix("B")
    units = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}
    try:
        if text and text[-1] in units:
            return max(1, int(float(text[:-1]) * units[text[-1]]))
        return int(text)
    except ValueError:
        raise LaunchError(f"--mem {memory}: not a size (examples: 64M, 1G)") from None


MAX_GUESTS = 10_000
"""More guests than any host runs at once (a 2-core host tops out near 200): a typo, refused before
anything is allocated for them."""


def prepare(options: RunOptions, progress: Progress | None = None) -> tuple[list[GuestSpec], Shares]:
    """Checked specifications for every guest, and the shares they use (independent copies made
    now, `progress` told after each)."""
    if options.count < 1:
        raise LaunchError("-n must be at least 1")
    if options.count > MAX_GUESTS:
        raise LaunchError(f"-n {options.count}: at most {MAX_GUESTS:,} guests (each one is a QEMU process)")
    if options.jobs is not None and options.jobs < 1:
        raise LaunchError("-j must be at least 1")
    if options.timeout is not None and not (math.isfinite(options.timeout) and options.timeout > 0):
        raise LaunchError(f"--timeout {options.timeout:g}: must be a positive number of seconds")
    jobs = min(options.jobs or options.count, options.count)
    ready = check_regex("--ready", options.ready) if options.ready is not None else None
    memory = memory_mib(options.memory)
    share = check_share(options.fs) if options.fs is not None else None
    virtiofsd = check_virtiofs(options)
    width = len(str(options.count))
    names = [f"guest-{i + 1:0{width}d}" for i in range(options.count)]
    if options.command is not None:
        if options.fs_writable:
            raise LaunchError("--fs-rw does nothing with --cmd: the launcher decides whether {fs} is writable")
        check_limits(jobs, 0)
        template = shlex.split(options.command)
        if not template:
            raise LaunchError("--cmd is empty")
        if shutil.which(template[0]) is None:
            raise LaunchError(f"--cmd: {template[0]}: no such program")
        tty = options.tty or wants_terminal(template)
        shares = Shares(share, options.fs_mode)
        shares.prepare(options.count, progress)
        specs = []
        for i, name in enumerate(names):
            argv = tuple(arg.format(index=i + 1, name=name, fs=shares.for_guest(i) or "") for arg in template)
            specs.append(
                GuestSpec(name, Path(argv[0]), "n/a", command=argv, ready=ready, script=options.script, tty=tty)
            )
        return specs, shares
    if options.tty:
        raise LaunchError("--tty is for --cmd launchers: uktrace's own QEMU already has its console on a terminal")
    qemu = options.qemu if options.remote else find_qemu(options.qemu)
    kernel = find_kernel(options.kernel)
    if options.remote:  # on a cluster, KVM is the nodes' to have: auto means TCG, which every node can run
        auto = "auto: TCG, which every cluster node can run"
        accel = AccelChoice("tcg", auto) if options.accel == "auto" else AccelChoice(options.accel)
    else:
        accel = choose_accel(options.accel, qemu, options.machine, options.cpu)
    check_limits(jobs, 0 if options.remote else memory)
    test_guest = kernel == TEST_GUEST
    append = options.append if options.append is not None else (TEST_GUEST_APPEND if test_guest else "")
    shares = Shares(share, options.fs_mode)
    shares.prepare(options.count, progress)
    specs = [
        GuestSpec(
            name=name,
            kernel=kernel,
            accel=accel.accel,
            accel_reason=accel.reason,
            qemu=qemu,
            memory=options.memory,
            machine=options.machine,
            cpu=options.cpu,
            append=append,
            fs=shares.for_guest(i),
            fs_writable=options.fs_writable,
            fs_type=options.fs_type,
            virtiofsd=virtiofsd,
            debug_exit=test_guest,
            extra=options.extra,
            ready=ready,
            script=options.script,
        )
        for i, name in enumerate(names)
    ]
    return specs, shares


def check_virtiofs(options: RunOptions) -> str | None:
    """The VirtioFS daemon's path for `--fs-type virtiofs` (None for 9P); raises LaunchError for a
    combination that cannot work or a daemon that is missing."""
    if options.fs_type not in FS_TYPES:
        raise LaunchError(f"--fs-type {options.fs_type}: choose from {', '.join(FS_TYPES)}")
    if options.fs_type != "virtiofs":
        if options.virtiofsd is not None:
            raise LaunchError("--virtiofsd is for --fs-type virtiofs")
        return None
    if options.fs is None:
        raise LaunchError("--fs-type virtiofs needs --fs DIR, the directory the guests share")
    if options.command is not None:
        raise LaunchError("--fs-type virtiofs does nothing with --cmd: the launcher decides how {fs} is shared")
    if options.remote:
        raise LaunchError("--fs-type virtiofs runs guests on this host only (its daemons are started here)")
    try:
        daemon = find_daemon(options.virtiofsd, options.qemu)
        check_daemon(daemon)
    except DaemonError as error:
        raise LaunchError(str(error)) from None
    return daemon.path


TERMINAL_LAUNCHERS = frozenset({"kraft"})
"""Launchers known to behave differently without a terminal (`kraft run` draws its progress and
attaches the console only on one): they get `--tty` without asking."""


def wants_terminal(command: list[str]) -> bool:
    """Whether `command` runs a launcher that needs a terminal (`TERMINAL_LAUNCHERS`), also behind
    `env`, `nice` or `sudo`: `kraft run .`, `env KRAFTKIT_NO_CHECK_UPDATES=1 kraft run .`."""
    for word in command:
        if "=" in word and not word.startswith("-"):
            continue  # env's assignments
        name = Path(word).name
        if name in TERMINAL_LAUNCHERS:
            return True
        if name not in ("env", "sudo", "nice", "setsid"):
            return False
    return False


def check_limits(jobs: int, memory: int) -> None:
    """Raise the open-file limit as far as allowed; refuse runs that would hit a limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = jobs * FDS_PER_GUEST + 64
    if soft != resource.RLIM_INFINITY and needed > soft:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, max(needed, soft))
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < needed:
            raise LaunchError(
                f"{jobs} guests at once need ~{needed} open files; the limit (ulimit -n) is {hard}: "
                f"raise it or lower -j to {(hard - 64) // FDS_PER_GUEST}"
            )
    nproc, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    if nproc != resource.RLIM_INFINITY and jobs + 32 > nproc:
        raise LaunchError(f"{jobs} guests at once exceed the process limit (ulimit -u) of {nproc}: lower -j")
    available = _available_mib()
    if memory and available is not None:
        needed_mib = jobs * (memory + QEMU_OVERHEAD_MIB)
        if needed_mib > available:
            fits = max(1, available // (memory + QEMU_OVERHEAD_MIB))
            raise LaunchError(
                f"{jobs} guests at once need ~{needed_mib} MiB ({memory} MiB RAM + ~{QEMU_OVERHEAD_MIB} MiB QEMU"
                f" each); {available} MiB are available: lower -j (to {fits}) or --mem"
            )


def _available_mib() -> int | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None
