"""The live model of one guest, and what views may read and call on a fleet of them.

`Guest` is plain data the fleet (or a replay) writes and views read at their own pace; the
`changes` counter tells a view which rows moved since it last drew. Nothing is pushed per line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

from .console_tail import ConsoleTail
from .integrity import IntegrityWatch
from .script import StepRun
from .spec import GuestSpec
from .timeline import BootTimeline, Status

if TYPE_CHECKING:
    from ..launch.started import StartedGuest
    from .shapes import recording as shape

STALL_S = 3.0
"""Seconds without console output after which a running guest is shown as stalled. The test guest
prints every few milliseconds, and a TCG boot of a real kernel prints at least once a second even
with a hundred guests on two cores; a server waiting for requests is quiet, and shown as such."""
STALL_FIRST_S = 15.0
"""Before a guest's first console line the firmware runs, silent on the serial console: measured
here at up to ~8 s per guest when 100 boot at once on 2 cores, so only a longer silence is a stall
(`--mem 1`: SeaBIOS never starts the kernel)."""
CONSOLE_TAIL = 1000
"""Records kept in memory per guest for the views; the whole console is on disk. They are most of
what a chatty guest costs the tracer (a parsed line holds its text three ways): 50 guests flooding
1 MiB each took 315 MiB of RSS with 5,000, 102 MiB with 1,000, 49 MiB with none
(`benchmarks/memory.py`)."""


@dataclass(frozen=True, slots=True)
class CpuMark:
    """QEMU's CPU accounting when the tracer saw `phase` begin: per phase, the wall time can be split
    into time on a CPU, time waiting for one, and the rest (paused, blocked)."""

    phase: str
    host_ns: int
    on_cpu_ns: int
    waiting_ns: int | None
    """None where the kernel has no schedstat."""


@dataclass(frozen=True, slots=True)
class Stall:
    """What a QEMU does while its console is quiet (read by the fleet about once a second)."""

    cpu_share: float | None
    """Share of one CPU its threads used over the last reading (>1: several threads); None at the first."""
    state: str
    """The kernel's process state letter: R running, S sleeping, D disk wait, T stopped."""

    def describe(self) -> str:
        """`QEMU busy (98 % CPU): the guest runs and prints nothing`, and the like."""
        if self.cpu_share is None:
            return "QEMU alive"
        share = self.cpu_share * 100
        if share >= 20:
            return f"QEMU busy ({share:.0f} % CPU): the guest runs and prints nothing"
        if share < 5:
            return f"QEMU idle ({share:.0f} % CPU): the guest waits (halted, or for input)"
        return f"QEMU at {share:.0f} % CPU"


@dataclass(eq=False)
class Guest:
    """One guest's live state; views read it, only the fleet writes it."""

    index: int
    spec: GuestSpec
    argv: list[str]
    timeline: BootTimeline
    records: ConsoleTail = field(default_factory=lambda: ConsoleTail(CONSOLE_TAIL))
    received: int = 0
    """Console bytes received."""
    stderr_tail: bytearray = field(default_factory=bytearray)
    spawn_ns: int | None = None
    first_byte_ns: int | None = None
    exit_ns: int | None = None
    qemu_status: int | None = None
    integrity: str | None = None
    """The integrity check on the bytes received (`IntegrityWatch`), whatever reached the disk."""
    watch: IntegrityWatch = field(default_factory=IntegrityWatch)
    recording: Path | None = None
    process: StartedGuest | None = None
    stop_requested: bool = False
    lingered: bool = False
    """QEMU ran on after its guest had finished and was stopped (see `Fleet.halt_grace_s`)."""
    held: str | None = None
    """What uktrace still waited for after QEMU had exited, until the timeout ended it (`the
    console's end`, `QEMU's release`): a hang of uktrace's own, said rather than lost in `total`."""
    attempt: int = 1
    """1 for the first launch, +1 per relaunch (each attempt records into its own directory)."""
    first_spawn_ns: int | None = None
    """The first attempt's spawn, kept across relaunches (see `axis_spawn_ns`)."""
    first_start_ns: int | None = None
    """The first attempt's start (gate release, else spawn), kept across relaunches: the run's
    start spread and its axis are about the run's start, not about a relaunch minutes later."""
    changes: int = 0
    """Bumped on every change, so a view redraws only guests that moved."""
    cpu_marks: list[CpuMark] = field(default_factory=list)
    cpu_total_ns: int | None = None
    """QEMU's CPU time over its whole life (user + system, from its exit status)."""
    gated: bool = False
    """Started paused, to be released by the start gate (QMP `cont`)."""
    nice: int | None = None
    """The nice value of its QEMU, when uktrace lowered it (`--guest-priority`, `launch.priority`)."""
    idle_policy: bool = False
    """Its QEMU ran at the scheduler's idle policy (`launch.priority`)."""
    apart: bool = False
    """Its QEMU ran in the guests' session, a scheduling group apart from uktrace's (`launch.guest_session`)."""
    last_output_ns: int | None = None
    """Host time of the console's latest bytes (a partial line counts: output is output)."""
    stall: Stall | None = None
    """Set while the console has been quiet for `stall_s` or more (live runs only)."""
    stall_s: float = STALL_S
    stall_first_s: float = STALL_FIRST_S
    """Its stall thresholds (`stalled`): the defaults above; a test may set shorter ones rather than wait."""
    node: str | None = None
    """The cluster node it runs on (`--cluster ray:...`); None on this host."""
    stream: shape.Stream | None = None
    """On a cluster: what its node's stream proved (events, numbers missing, why it was lost)."""
    virtiofsd_status: int | None = None
    """With `--fs-type virtiofs`: its daemon's exit status (negative: the signal that ended it)."""
    virtiofsd_start_s: float | None = None
    """With `--fs-type virtiofs`: how long its daemon took to listen, before its QEMU started
    (outside every phase: `spawn` begins with QEMU)."""
    script: list[StepRun] = field(default_factory=list)
    """The console script's steps and what each did (`--expect/--send`), in order."""

    RUN_WIDE: ClassVar[frozenset[str]] = frozenset(
        {"index", "spec", "attempt", "first_spawn_ns", "first_start_ns", "changes", "stall_s", "stall_first_s"}
    )
    """The fields an attempt does not own: who the guest is and what spans its attempts. Every
    other field starts over with each attempt (`next_attempt`), a field added later included."""

    def next_attempt(self, argv: list[str], timeline: BootTimeline) -> None:
        """Begin the guest's next attempt (a relaunch): every field but the run-wide ones as a new
        guest's, so nothing of the last attempt (its console, exit, stall, script) lingers."""
        if self.first_start_ns is None:
            self.first_start_ns = self.timeline.release_ns or self.spawn_ns
            self.first_spawn_ns = self.spawn_ns
        fresh = Guest(self.index, self.spec, argv, timeline)
        for each in fields(self):
            if each.name not in self.RUN_WIDE:
                setattr(self, each.name, getattr(fresh, each.name))
        self.attempt += 1
        self.changes += 1

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def wall_s(self) -> float | None:
        """Spawn to exit; None until both happened."""
        if self.spawn_ns is None or self.exit_ns is None:
            return None
        return (self.exit_ns - self.spawn_ns) / 1e9

    @property
    def axis_spawn_ns(self) -> int | None:
        """Where the guest's bar starts on a host axis shared with the fleet: its first attempt's
        spawn, so an attempt relaunched minutes later is drawn in its row, not minutes away."""
        return self.first_spawn_ns if self.first_spawn_ns is not None else self.spawn_ns

    def quiet_s(self, now_ns: int) -> float | None:
        """Seconds since the console last printed (since the VMM started when it never did);
        None unless the guest runs, or when it ended by itself and is only waiting for its QEMU."""
        if self.spawn_ns is None or self.exit_ns is not None or self.timeline.status.finished:
            return None
        last = self.last_output_ns
        if last is None and self.records:
            last = self.records[-1].host_ns
        if last is None:
            if self.gated and self.timeline.release_ns is None:
                return None  # held paused until its wave is ready: nothing to say yet
            last = self.timeline.release_ns or self.spawn_ns
        return max(0.0, (now_ns - last) / 1e9)

    def stalled(self, now_ns: int) -> bool:
        """Quiet for `stall_s` seconds or more (`stall_first_s` before its first console line,
        while the firmware runs): worth a marker in every view."""
        quiet = self.quiet_s(now_ns)
        if quiet is None:
            return False
        return quiet >= (self.stall_s if self.first_byte_ns is not None else self.stall_first_s)

    @property
    def running(self) -> bool:
        return self.process is not None

    @property
    def program(self) -> str:
        """What ran the guest, for messages: `QEMU`, or a `--cmd` launcher's name (`kraft`)."""
        return "QEMU" if self.spec.command is None else Path(self.argv[0]).name if self.argv else "the launcher"

    def silent_end(self, qemu_status: int) -> str | None:
        """Why a VMM that ended by itself with no exit code for the guest is no clean end, or None.

        QEMU exits 0 when its guest powers off, and just as well when the guest triple-faults
        (`-no-reboot`) or never starts (`--mem 1K`). Only the console tells them apart: a kernel
        that printed nothing (the firmware's lines are not the kernel's) did not end cleanly, it
        ended unseen. Said with what is known: `no console output; QEMU exited with status 0 after 0.1 s`."""
        if self.timeline.first_guest_ns is not None:  # a line of the kernel's (not the firmware's)
            return None
        after = f" after {self.wall_s:.1f} s" if self.wall_s is not None else ""
        ended = f"{self.program} exited with status {qemu_status}{after}"
        if self.received == 0:
            return f"no console output; {ended}"
        return f"no output from the kernel (only the firmware's, {self.received} bytes); {ended}"

    def host_dict(self) -> shape.Host:
        """Host facts in monotonic ns: spawn, VMM ready and gate release (started paused), firmware's
        first debug byte, first console byte, exit. A recording keeps them all, so a replay shows
        the same phases."""
        return {
            "accel": self.spec.accel,
            "accel_reason": self.spec.accel_reason,
            "spawn_ns": self.spawn_ns,
            "ready_ns": self.timeline.vmm_ready_ns,
            "release_ns": self.timeline.release_ns,
            "firmware_ns": self.timeline.firmware_ns,
            "first_byte_ns": self.first_byte_ns,
            "exit_ns": self.exit_ns,
            "wall_s": None if self.wall_s is None else round(self.wall_s, 6),
            "bytes": self.received,
            "qemu_status": self.qemu_status,
            "stderr_tail": self.stderr_tail.decode("utf-8", "replace")[-1000:],
            "integrity": self.integrity,
            "lingered": self.lingered,
            "held": self.held,
            "recording": str(self.recording) if self.recording else None,
            "cpu_marks": [[m.phase, m.host_ns, m.on_cpu_ns, m.waiting_ns] for m in self.cpu_marks],
            "cpu_total_ns": self.cpu_total_ns,
            "nice": self.nice,
            "idle_policy": self.idle_policy,
            "apart": self.apart,
            "node": self.node,
            "stream": self.stream,
            "fs_type": self.spec.fs_type if self.spec.fs is not None and self.spec.command is None else None,
            "virtiofsd_status": self.virtiofsd_status,
            "virtiofsd_start_s": None if self.virtiofsd_start_s is None else round(self.virtiofsd_start_s, 6),
        }

    def mark_cpu(self, phase: str, host_ns: int) -> None:
        """Note QEMU's CPU accounting as `phase` begins (a few file reads: only at phase changes)."""
        if self.process is None:
            return
        sample = self.process.cpu_sample()
        if sample is not None:
            self.cpu_marks.append(CpuMark(phase, host_ns, *sample))

    def mark_cpu_unchanged(self, phase: str, host_ns: int) -> None:
        """Note `phase` beginning with the CPU accounting of the mark before it: a QEMU paused at
        the start gate runs nothing until its `cont`, so the gate's reading is the firmware's start
        (read after `cont` instead, on a loaded host, it came late and gave the firmware's CPU to
        the gate; before it, it delayed the rest of the wave)."""
        if self.cpu_marks:
            last = self.cpu_marks[-1]
            self.cpu_marks.append(CpuMark(phase, host_ns, last.on_cpu_ns, last.waiting_ns))

    def send(self, data: bytes) -> bool:
        """Type into the running guest's console; False when it is not running."""
        if self.process is None or self.process.returncode is not None:
            return False
        self.process.write(data)
        return True


class FleetView(Protocol):
    """What views (headless, TUI) read and call: a live `Fleet` or a `ReplayFleet`."""

    # read-only to views: a bench cell's view (`cli.bench.CellView`) passes its fleet's through
    @property
    def guests(self) -> list[Guest]: ...
    @property
    def jobs(self) -> int: ...
    @property
    def record_dir(self) -> Path: ...
    @property
    def fs_mode(self) -> str | None: ...
    @property
    def live(self) -> bool:
        """Guests booting here now (a `Fleet`), not a recording replayed: what this host measures
        of uktrace itself applies to it; a replay says what the recording host's did."""
        ...

    @property
    def started_ns(self) -> int | None: ...
    @property
    def finished_ns(self) -> int | None: ...
    @property
    def interrupted_by(self) -> int | None: ...

    @property
    def recording_errors(self) -> list[str]:
        """Disk errors met while recording (a replay's: none)."""
        ...

    @property
    def tracer_booting(self) -> shape.TracerBooting | None:
        """uktrace's own CPU while the guests booted: measured (a `Fleet`, once a guest started and
        ended), or as recorded (a replay: session.json `tracer`; None from before uktrace kept it)."""
        ...

    @property
    def observer_effect(self) -> shape.ObserverEffect | None:
        """What the host's `bench --observer-check` of as many guests at once found uktrace itself
        changes: this host's last (a `Fleet`), or the recording host's (a replay: session.json
        `observer`); None when no check measured this size."""
        ...

    def clock(self) -> int: ...
    def counts(self) -> dict[str, int]: ...
    def start_spread(self) -> float | None: ...
    def stop(self, reason: str = ...) -> None: ...
    def stop_guest(self, guest: Guest) -> None: ...
    def relaunch(self, guest: Guest) -> bool: ...
    async def run(self, keep_alive: bool = False) -> None: ...


def start_spread(guests: Sequence[Guest], jobs: int) -> float | None:
    """Seconds between the first and the last start in the first wave: the release by the start
    gate when guests were started paused, else the process spawn (the JSON's `spawn_spread_s`)."""
    starts = [g.first_start_ns or g.timeline.release_ns or g.spawn_ns for g in guests]
    wave = sorted(start for start in starts if start is not None)[:jobs]
    return (wave[-1] - wave[0]) / 1e9 if len(wave) > 1 else None


def status_counts(guests: Sequence[Guest]) -> dict[str, int]:
    """Guests per status, every status present (zeros included) in boot order."""
    result = {status.value: 0 for status in Status}
    for guest in guests:
        result[guest.timeline.status.value] += 1
    return result
