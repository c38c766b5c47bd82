"""The boot timeline of one guest: records (and host events) in, phase spans and a status out.

Two clocks, kept apart and always labelled:
* guest: the printk timestamp. Reads 0.000000 until the guest calibrates its timer, so early
  phases have no guest duration; made monotonic here (a reboot would reset it).
* host: monotonic nanoseconds at which bytes arrived, relative to the process spawn. It sees what
  the guest cannot (spawn, firmware) and is what a user waits for.
A phase's figure (`clock`, `start`, `end`, `duration`) comes from the clock that can see it: the
guest's stamps for an in-guest phase that began once the guest clock ran (under load console
chunks arrive lumped, and the host clock would say a 5 ms mount took 0.0 ms), else the host
clock. Host phases and a phase ended by the process exit are host-only; a phase ended by a line
without a stamp (the banner) ends at the last stamp before it, a lower bound rather than a guess.
Phases are exclusive and sequential (a phase ends when the next one starts), except nested ones
(the 9P handshake inside mount). A marker for a phase already seen belongs to the current phase.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import Enum

from parsers import Kind, Record, UnikraftVersion
from parsers.banner import art_version, message_version, one_line_banner
from parsers.outcomes import exit_code_of, outcome_of
from parsers.phases import HOST_PHASES, NESTED, PHASES, marker_of, phase_of

_SEVERE = frozenset({"Warn", "ERR", "CRIT"})
"""Levels that can carry a crash or failure marker (Info and dbg lines never do)."""


class Status(str, Enum):
    BOOTING = "booting"
    RUNNING = "running"
    EXITED = "exited"
    CRASHED = "crashed"
    FAILED = "failed"
    TIMEOUT = "timeout"

    def __str__(self) -> str:
        return self.value

    @property
    def finished(self) -> bool:
        return self not in (Status.BOOTING, Status.RUNNING)


@dataclass(frozen=True, slots=True)
class Crash:
    """Why a guest crashed or failed."""

    reason: str
    """The marker message, e.g. `Unhandled Trap 8 (double fault), error code=0x0`."""
    line: str
    """The whole console line (or the launcher's message) it came from."""
    where: str | None = None
    """The crashing instruction, named from the kernel's symbols when known: `0x10317c app_divide+0x1c`."""


@dataclass(frozen=True, slots=True)
class Phase:
    """One span of a boot, in both clocks where known (seconds; host relative to spawn)."""

    name: str
    guest_start: float | None = None
    guest_end: float | None = None
    host_start: float | None = None
    host_end: float | None = None

    @property
    def guest_running(self) -> bool:
        """Both ends on the guest clock, which was already running at the start (Unikraft stamps
        0.000000 until its timer is calibrated: a phase that began then has no guest duration)."""
        return self.guest_start is not None and self.guest_end is not None and self.guest_start > 0

    @property
    def clock(self) -> str:
        """The clock `start`/`end`/`duration` use: guest when it was running (see `guest_running`),
        else host when it has both ends, else guest (a saved log has no host clock)."""
        if self.name not in HOST_PHASES and self.guest_running:
            return "guest"
        return "host" if self.host_start is not None and self.host_end is not None else "guest"

    @property
    def guest_duration(self) -> float | None:
        if self.guest_start is None or self.guest_end is None:
            return None
        return self.guest_end - self.guest_start

    @property
    def host_duration(self) -> float | None:
        if self.host_start is None or self.host_end is None:
            return None
        return self.host_end - self.host_start

    @property
    def start(self) -> float | None:
        """None when the clock had no reading yet (a banner before any printk timestamp)."""
        return self.host_start if self.clock == "host" else self.guest_start

    @property
    def end(self) -> float | None:
        return self.host_end if self.clock == "host" else self.guest_end

    @property
    def duration(self) -> float | None:
        start, end = self.start, self.end
        return None if start is None or end is None else end - start


@dataclass(slots=True)
class _Edge:
    guest: float | None
    host_ns: int | None
    seq: int
    """Records seen before this edge: orders phases when a clock has no reading yet."""


@dataclass(slots=True)
class _Span:
    name: str
    start: _Edge
    end: _Edge | None = None


@dataclass
class BootTimeline:
    """State machine for one guest's boot. Feed it records in order; read phases and status."""

    name: str
    source: str | None = None
    status: Status = Status.BOOTING
    exit_code: int | None = None
    crash: Crash | None = None
    version: UnikraftVersion | None = None
    lines: int = 0
    unrecognised: int = 0
    level_counts: dict[str, int] = field(default_factory=dict)
    current: str | None = None
    """The top-level phase in progress (or last reached)."""
    spawn_ns: int | None = None
    ready_ns: int | None = None
    """The paused VMM answered on its monitor: machine built, waiting for the start gate."""
    release_ns: int | None = None
    """The start gate let the guest run (`cont`)."""
    firmware_ns: int | None = None
    """First byte on the firmware's debug console (SeaBIOS port 0x402): the VMM is up."""
    first_byte_ns: int | None = None
    first_guest_ns: int | None = None
    exit_ns: int | None = None
    _spans: dict[str, _Span] = field(default_factory=dict)
    _ninep: dict[str, _Edge] = field(default_factory=dict)
    _guest_now: float | None = None
    _host_now: int | None = None
    _after_banner: bool = False

    # -- host events ---------------------------------------------------------------------------

    def spawned(self, host_ns: int) -> None:
        """The VMM process was started at `host_ns`: the origin of the host clock."""
        self.spawn_ns = host_ns
        self._host_now = host_ns

    def vmm_ready(self, host_ns: int) -> None:
        self.ready_ns = host_ns

    def released(self, host_ns: int) -> None:
        self.release_ns = host_ns

    def firmware_started(self, host_ns: int) -> None:
        """The firmware printed its first debug byte: spawn (VMM start) ends, firmware begins."""
        if self.firmware_ns is None:
            self.firmware_ns = host_ns

    def process_exited(self, host_ns: int) -> None:
        """The VMM process ended: closes the last phase on the host clock."""
        self.exit_ns = host_ns
        self._host_now = host_ns
        # no guest stamp marks a process exit: the phase it ends has a host end only
        self._close_current(_Edge(None, host_ns, self.lines))

    def timed_out(self, host_ns: int, seconds: float) -> None:
        if not self.status.finished:
            self.status = Status.TIMEOUT
            where = f" in {self.current}" if self.current else " before the first guest line"
            self.crash = Crash(f"no exit after {seconds:g} s{where}", "")
        self._host_now = host_ns

    def fail(self, reason: str, line: str = "") -> None:
        """The launcher saw a failure (QEMU error, KVM internal error, bad exit status)."""
        if self.status in (Status.BOOTING, Status.RUNNING, Status.TIMEOUT) or (
            self.status is Status.EXITED and self.crash is None and self.exit_code is None
        ):
            self.status = Status.FAILED
            self.crash = Crash(reason, line or reason)

    # -- records -------------------------------------------------------------------------------

    def consume(self, record: Record) -> None:
        """Advance the state machine by one console record."""
        self.lines += 1
        host_ns = record.host_ns
        if host_ns is not None:
            self._host_now = host_ns
            if self.first_byte_ns is None:
                self.first_byte_ns = host_ns
        kind = record.kind
        if record.timestamp is not None and (self._guest_now is None or record.timestamp > self._guest_now):
            # monotonic guest clock: a reboot (or a glued second boot) cannot move time back
            self._guest_now = record.timestamp
        if self._after_banner and kind != Kind.BANNER:
            # Unikraft prints the banner right before main: without Info lines, what follows is main
            self._after_banner = False
            if kind != Kind.PRINTK or phase_of(record.message) is None:
                self._enter("main")
        if kind == Kind.PRINTK:
            self._printk(record)
        elif kind == Kind.BANNER:
            self._guest_line(record)
            if self.version is None:
                self.version = art_version(record.text) or one_line_banner(record.text)
            self._enter("banner")
            self._after_banner = True
        elif kind == Kind.APP:
            self._guest_line(record)
            if "main" not in self._spans:
                self._enter("main")
            self._outcome(record)
        elif kind == Kind.OTHER:
            if record.text.strip():
                self.unrecognised += 1
                self._guest_line(record)
                self._outcome(record)
        elif kind == Kind.VMM:
            self._outcome(record)

    def _printk(self, record: Record) -> None:
        level = record.level or ""
        self.level_counts[level] = self.level_counts.get(level, 0) + 1
        self._guest_line(record)
        message = record.message
        if self.version is None and message.startswith("Unikraft"):
            self.version = message_version(message)
        marker = marker_of(message)
        if marker is not None:
            kind, name = marker
            if kind == "9p":
                self._ninep.setdefault(name, self._edge())
            else:
                self._enter(name)
                if name == "main" and message.startswith("Calling main("):
                    self._run()
                elif name == "exit":
                    self._exit(message)
        if level in _SEVERE:
            self._outcome(record)

    def _exit(self, message: str) -> None:
        code = exit_code_of(message)
        if code is not None and self.exit_code is None:
            self.exit_code = code
            if not self.status.finished:
                self.status = Status.EXITED

    def _outcome(self, record: Record) -> None:
        outcome = outcome_of(record.message)
        if outcome is None or (self.status.finished and self.status is not Status.EXITED):
            return
        if self.status is Status.EXITED and self.crash is not None:
            return
        self.status = Status(outcome)
        self.crash = Crash(record.message.strip(), record.text)
        if self.version is None and outcome == "crashed":
            self.version = message_version(record.message)

    def _guest_line(self, record: Record) -> None:
        if self.first_guest_ns is None and record.host_ns is not None:
            self.first_guest_ns = record.host_ns

    def _run(self) -> None:
        if self.status is Status.BOOTING:
            self.status = Status.RUNNING

    def _edge(self) -> _Edge:
        return _Edge(self._guest_now, self._host_now, self.lines)

    def _enter(self, phase: str) -> None:
        if phase in self._spans:
            return
        edge = self._edge()
        if phase not in NESTED:
            self._close_current(edge)
            self.current = phase
        self._spans[phase] = _Span(phase, edge)
        if phase == "main":
            self._run()

    def _close_current(self, edge: _Edge) -> None:
        if self.current is not None:
            span = self._spans[self.current]
            if span.end is None:
                span.end = edge

    # -- reading -------------------------------------------------------------------------------

    def phases(self) -> list[Phase]:
        """Every phase seen so far, in start order; a phase in progress has no end yet (host phases
        included: a guest waiting at the gate is in an open `gate`)."""
        result = self._host_phases()
        spans = list(self._spans.values())
        ninep = self._ninep_span()
        if ninep is not None:
            spans.append(ninep)
        spans.sort(key=lambda span: (span.start.seq, PHASES.index(span.name)))
        result.extend(self._phase(span) for span in spans)
        return result

    def phase(self, name: str) -> Phase | None:
        return next((p for p in self.phases() if p.name == name), None)

    def _ninep_span(self) -> _Span | None:
        for start, end in (("protocol_start", "protocol_end"), ("device_start", "device_end")):
            if start in self._ninep:
                return _Span("9p_handshake", self._ninep[start], self._ninep.get(end))
        return None

    def _seconds(self, host_ns: int | None) -> float | None:
        origin = self.spawn_ns if self.spawn_ns is not None else self.first_byte_ns
        if host_ns is None or origin is None:
            return None
        return (host_ns - origin) / 1e9

    def _host_phases(self) -> list[Phase]:
        """spawn, gate (when started paused), firmware: each edge is a host event; the phase in
        progress has no end until the next edge (or the process exit) comes."""
        if self.spawn_ns is None:
            return []
        if self.ready_ns is not None:
            # started paused: VMM start, then the wait at the start gate, then the firmware
            edges = [("spawn", self.spawn_ns), ("gate", self.ready_ns), ("firmware", self.release_ns)]
        else:
            vmm_up = self.firmware_ns if self.firmware_ns is not None else self.first_byte_ns
            edges = [("spawn", self.spawn_ns), ("firmware", vmm_up)]
        edges.append(("", self.first_guest_ns))
        phases = []
        for (name, start), (_, end) in itertools.pairwise(edges):
            if start is None:
                break
            if end is None and self.exit_ns is not None:
                end = self.exit_ns  # the process ended in this phase
            phases.append(Phase(name, host_start=self._seconds(start), host_end=self._seconds(end)))
            if end is None:
                break
        return phases

    def _phase(self, span: _Span) -> Phase:
        end = span.end
        if end is None and self.status.finished:
            # the boot is over: the open phase lasted until the last thing seen
            end = self._edge()
        return Phase(
            span.name,
            guest_start=span.start.guest,
            guest_end=end.guest if end else None,
            host_start=self._seconds(span.start.host_ns),
            host_end=self._seconds(end.host_ns) if end else None,
        )

    def finish(self) -> None:
        """The console ended (end of a log file): close the open phase at the last thing seen."""
        self._close_current(self._edge())
