"""The boot timeline of one guest: records (and host events) in, phase spans and a status out.

Two clocks, kept apart and always labelled:
* guest: the printk timestamp. Reads 0.000000 until the guest calibrates its timer, so early
  phases have no guest duration; made monotonic here (a reboot would reset it).
* host: monotonic nanoseconds at which bytes arrived, relative to the process spawn. It sees what
  the guest cannot (spawn, firmware) and is what a user waits for.
A phase's figure (`clock`, `start`, `end`, `duration`) comes from the clock that can see it: the
guest's stamps for an in-guest phase that began once the guest clock ran (under load console
chunks arrive lumped, and the host clock would say a 5 ms mount took 0.0 ms), else the host
clock. Host phases and a phase ended by the process exit are host-only; a line without a stamp
(the banner, an application's output) is placed through its arrival, or bounded by the stamps
around it (`_edge`, `_settle`): a phase whose edge only that bounds is `bound`, never a figure.
Top-level phases are exclusive and sequential, and together cover the whole run: from the spawn
to the VMM's exit every instant is in exactly one of them (a phase ends when the next one starts;
the host phases end at the guest's first console line, where the first in-guest phase starts).
Lines before the first marker are `platform_entry`'s: the kernel is running, and every Unikraft
starts in its platform's entry code (0.17's `memory.c` region coalescing comes before the bootinfo
lines, at dbg level); a default-level log whose first marker is the banner has everything before
it there, as any phase lasts until the next marker seen. Nested phases lie inside their parent
(`phases.PARENTS`): the bus probe and the mount inside `init_table`, since init functions run them;
each ends when the next one starts, when the init function that ran it returns (the next call line
of the table) or with its parent; the TSC calibration inside `subsystems`, from `Calibrating TSC
clock` to the `Clock source: ` line that ends it (`phases.PART_ENDS`); the 9P handshake inside the
phase it started in; with the firmware's debug console (`--firmware-timing`), the parts of SeaBIOS's
work inside `firmware` (`phases.FIRMWARE_RULES`: each from the arrival of the debug line that names
it to the next one, the last to the firmware's end), on the host clock only. A marker for a
phase already seen belongs to the current phase, and so does one of a phase nested in a parent
already over (an application mounting from main).

Each `Call ...` debug line of a boot table opens a call span (`calls()`): it ends at the next call
line, or when its table is done: any other marker of its own phase (boot.c's lines between the
loops: `Found N library args`, `Constructor table at`, `Calling main(`), a marker of a later phase
that no function of the table runs (init functions probe buses and mount the root: `bus_probe`,
`mount` and the 9P handshake happen inside them), the init error line, or the end of the boot.

With a `ready` pattern (`--ready REGEX`), the `ready` phase runs inside main: from main's start
(`Calling main(`, or the end of the banner) to the first guest line after it that the pattern finds
(`re.search` on the decoded line). Its guest end is that line's own stamp, or for an application's
line without one its place by its arrival (as any unstamped line's: `_edge`). A guest that ends
before the line is `not_ready` (`not ready: exited first`).

The guest clock itself can run at the wrong rate (a TSC calibration disturbed by the host's
scheduler): every stamped line with a host time feeds `clock_fit()`, the calibration line gives
`tsc_estimate_hz`, and `guest_clock()` judges them with the run's `ClockReference` (see
`uktrace.model.clock_rate`). The phases and calls of a skewed guest carry the rate, and their
guest-clock figures are divided by it and labelled `guest (corrected)`; the stamps stay as printed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from uktrace.parsers import ConsoleParser, Kind, Record, UnikraftVersion
from uktrace.parsers.banner import art_version, message_version, one_line_banner
from uktrace.parsers.calls import call_of
from uktrace.parsers.clock import tsc_estimate_hz
from uktrace.parsers.outcomes import cause_of, exit_code_of, outcome_of, wanted_share
from uktrace.parsers.phases import (
    HANDSHAKE_EDGES,
    HANDSHAKES,
    HOST_PHASES,
    NESTED,
    PARENTS,
    PHASES,
    ends_part,
    firmware_part_of,
    marker_of,
    phase_of,
)

from .calls import Call, SymbolTable, named
from .clock_rate import CORRECTED, ClockReference, ClockSamples, GuestClock, RateFit, assess, fit_rate
from .regex import compile_regex

_SEVERE = frozenset({"Warn", "ERR", "CRIT"})
"""Levels that can carry a crash or failure marker (Info and dbg lines never do)."""
_INSIDE_CALLS = {"init_table": frozenset({"bus_probe", "mount", *HANDSHAKES})}
"""Phases that run inside a function of a table: their markers do not end the call."""
_NOTHING_INSIDE: frozenset[str] = frozenset()
_READY_KINDS = frozenset({Kind.PRINTK, Kind.BANNER, Kind.APP, Kind.OTHER})
"""Lines the guest printed (not the firmware's, not the launcher's): where a ready line can be."""
_GUEST_KINDS = frozenset({Kind.PRINTK, Kind.BANNER, Kind.APP})
"""Lines the kernel printed (and unrecognised ones that are not blank, `_guest_line`)."""
_PRINTED_PER_CALL = 16
"""Caller addresses kept per call as library evidence (the first ones tell; a probe prints many)."""
MAX_CALLS = 1024
"""Calls kept per console: a large kernel runs a hundred; a reboot loop or garbage stops here."""


class Status(str, Enum):
    BOOTING = "booting"
    RUNNING = "running"
    EXITED = "exited"
    CRASHED = "crashed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    STOPPED = "stopped"
    """uktrace or its user ended it (x, q, Ctrl-C, a signal) before it ended by itself."""
    LOST = "lost"
    """Its cluster node (or the actor there) died: the QEMU died with it, its end is unknown."""

    def __str__(self) -> str:
        return self.value

    @property
    def finished(self) -> bool:
        return self not in (Status.BOOTING, Status.RUNNING)


_NOT_READY = {
    Status.EXITED: "exited first",
    Status.CRASHED: "crashed first",
    Status.FAILED: "failed first",
    Status.TIMEOUT: "timed out first",
    Status.STOPPED: "stopped first",
}


@dataclass(frozen=True, slots=True)
class Ending:
    """Why a guest ended other than by exiting cleanly: its crash or failure, or why it was
    stopped, timed out or lost (the JSON's `crash` object)."""

    reason: str
    """The marker message, e.g. `Unhandled Trap 8 (double fault), error code=0x0`, or why uktrace
    ended it or saw it fail (`no exit after 5 s in main`)."""
    line: str
    """The whole console line (or the launcher's message) it came from; empty for a stop or a timeout."""
    where: str | None = None
    """For a crash, the crashing instruction, named from the kernel's symbols when known: `0x10317c app_divide+0x1c`."""


@dataclass(frozen=True, slots=True)
class Phase:
    """One span of a boot, in both clocks where known (seconds; host relative to spawn)."""

    name: str
    guest_start: float | None = None
    guest_end: float | None = None
    host_start: float | None = None
    host_end: float | None = None
    rate: float | None = None
    """The guest clock's rate when it was skewed (`clock_rate`): guest-clock figures are divided by it."""
    parent: str | None = None
    """The phase it runs inside (`init_table` for the bus probe and the mount), None at the top level."""
    first_line: int | None = None
    """`lines` (records read, the line that started it included) at its start: orders edges no clock
    reads (a saved log's unstamped lines); None for host phases."""
    last_line: int | None = None
    """`lines` at its end, counted as `first_line` (None while open, and for host phases)."""
    start_bound: bool = False
    end_bound: bool = False
    """An edge was an unstamped line that no host arrival placed on the guest clock (a saved log):
    its guest time is only the latest stamp before it, a lower bound (see `bound`)."""

    @property
    def bound(self) -> bool:
        """An edge is only a lower bound: no guest-clock figure, at most a limit (`limit`)."""
        return self.start_bound or self.end_bound

    @property
    def limit(self) -> tuple[str, float] | None:
        """What a bound still says of the duration: `("≥", d)` when only its end is a lower bound
        (it lasted at least d), `("≤", d)` when only its start is (at most d); None otherwise."""
        if self.start_bound == self.end_bound or self.guest_start is None or self.guest_end is None:
            return None
        rate = self.rate or 1.0
        return ("≤" if self.start_bound else "≥", (self.guest_end - self.guest_start) / rate)

    @property
    def guest_running(self) -> bool:
        """Both ends on the guest clock, which was already running at the start (Unikraft stamps
        0.000000 until its timer is calibrated: a phase that began then has no guest duration)."""
        return self.guest_start is not None and self.guest_end is not None and self.guest_start > 0

    @property
    def clock(self) -> str:
        """The clock `start`/`end`/`duration` use: guest when it was running (see `guest_running`;
        `guest (corrected)` when its rate was skewed), else host when it has both ends, else guest
        (a saved log has no host clock)."""
        if self.name not in HOST_PHASES and self.guest_running and not self.bound:
            return "guest" if self.rate is None else CORRECTED
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
        clock = self.clock
        if clock == "host":
            return self.host_start
        return _corrected(self.guest_start, self.rate if clock == CORRECTED else None)

    @property
    def end(self) -> float | None:
        clock = self.clock
        if clock == "host":
            return self.host_end
        return _corrected(self.guest_end, self.rate if clock == CORRECTED else None)

    @property
    def duration(self) -> float | None:
        """None while open, and for a `bound` on the guest clock: a lower bound is no figure."""
        start, end = self.start, self.end
        if start is None or end is None or (self.bound and self.clock != "host"):
            return None
        return end - start


def gate_wait_ns(ready_ns: int | None, *ends: int | None) -> int:
    """Nanoseconds a guest waited at the start gate: from its VMM's being ready to the first of
    `ends` known (its release, else its exit, else now); 0 for a guest not started paused. The one
    definition `total` and `boot` leave out, traced or not (`analysis.figures`, `launch.unobserved`)."""
    if ready_ns is None:
        return 0
    end = next((ns for ns in ends if ns is not None), None)
    return 0 if end is None else max(0, end - ready_ns)


def share_hint(tag: str | None, offered: tuple[str, ...] | None) -> str | None:
    """What a failed 9P mount of `tag` lacked, when the shares the VMM offered are known."""
    if tag is None or offered is None or tag in offered:
        return None
    if not offered:
        return f"the kernel wants a 9P share tagged {tag} and none was given: pass --fs DIR, the directory to share"
    return f"the kernel wants a 9P share tagged {tag}; --fs shares its directory as {', '.join(offered)}"


def _close(start: _Edge, end: _Edge | None, spread: float) -> bool:
    """Whether an edge `spread` from its place still gives the span a figure: within 0.1 ms, or
    within 5 % of what the span lasts by its guest edges."""
    if spread <= _CLOSE_S:
        return True
    if end is None or start.guest is None or end.guest is None or spread == float("inf"):
        return False
    return spread <= _CLOSE_SHARE * (end.guest - start.guest)


def _corrected(stamp: float | None, rate: float | None) -> float | None:
    """A guest stamp on the host's time scale: divided by a skewed clock's rate."""
    return stamp if stamp is None or rate is None else stamp / rate


_SURE_RATE = 0.1
"""A guest clock fit whose interval is within ±10 % of its rate places unstamped lines at that rate."""
_CLOSE_S = 0.0001
"""An unbounded edge's spread that is no error: below the tables' last digit (0.1 ms)."""
_CLOSE_SHARE = 0.05
"""... or within this share of the phase's figure, compare's own band: the banner, printed between
two stamps 0.5 ms apart, still times the 25 ms mount it ends (2 %), not the 2.7 ms gap of a
saved log's 10 ms init table (25 %)."""


@dataclass(slots=True)
class _Edge:
    guest: float | None
    host_ns: int | None
    seq: int
    """Records seen before this edge: orders phases when a clock has no reading yet."""
    bound: bool = False
    """An unstamped line's edge that nothing placed on the guest clock: `guest` is a lower bound,
    `latest` (once known) the upper one."""
    latest: float | None = None
    """A bound edge's latest possible guest time: the next stamp (`_settle`), None before it."""

    def spread(self) -> float:
        """How far a bound edge may lie from `guest`: 0 for a figure, inf while nothing bounds it."""
        if not self.bound:
            return 0.0
        if self.latest is None or self.guest is None:
            return float("inf")
        return self.latest - self.guest


@dataclass(slots=True)
class _Span:
    name: str
    start: _Edge
    end: _Edge | None = None
    parent: str | None = None


@dataclass(slots=True)
class _CallSpan:
    phase: str
    kind: str
    address: int
    start: _Edge
    end: _Edge | None = None
    printed: list[tuple[int, str | None]] = field(default_factory=list)


@dataclass
class BootTimeline:
    """State machine for one guest's boot. Feed it records in order; read phases and status."""

    name: str
    source: str | None = None
    status: Status = Status.BOOTING
    exit_code: int | None = None
    ending: Ending | None = None
    """Why it ended, when not by exiting cleanly (the JSON's `crash`: the key stays for readers)."""
    version: UnikraftVersion | None = None
    lines: int = 0
    unrecognised: int = 0
    debug_bytes: int = 0
    """Console bytes of `dbg` lines: what a build without debug printing would not print."""
    level_counts: dict[str, int] = field(default_factory=dict)
    current: str | None = None
    """The phase in progress (or last reached), the nested one when one runs (`mount`, not `init_table`)."""
    spawn_ns: int | None = None
    vmm_ready_ns: int | None = None
    """The paused VMM answered on its monitor: machine built, waiting for the start gate."""
    release_ns: int | None = None
    """The start gate let the guest run (`cont`)."""
    firmware_ns: int | None = None
    """First byte on the firmware's debug console (SeaBIOS port 0x402): the VMM is up."""
    firmware_parts: dict[str, int] = field(default_factory=dict)
    """Host arrival of the debug line that started each part of the firmware's work
    (`phases.FIRMWARE_RULES`), in the order they started: `firmware`'s children."""
    first_byte_ns: int | None = None
    first_guest_ns: int | None = None
    excerpt: bool = False
    """A saved log that begins mid-boot: no host process, and its first guest lines came after the
    guest's timer started (stamped later than 0), or unstamped before the first marker. What came
    before the first marker is in no phase: the log cannot say which; a live run never is one."""
    first_guest_line: int | None = None
    """`lines` at the guest's first line: where the first in-guest phase starts (see `Phase.first_line`)."""
    exit_ns: int | None = None
    console_end_ns: int | None = None
    """Host arrival of the last thing seen before the VMM's exit (its last console line): where
    the guest's own run ended when its VMM stayed on after it halted (`figures.guest_times`)."""
    ready: str | None = None
    """`--ready REGEX`: the application's ready line ends the `ready` phase (see the module docstring)."""
    ready_line: str | None = None
    """The line that made the guest ready, once one did."""
    symbols: SymbolTable | None = field(default=None, repr=False, compare=False)
    """The kernel's symbols, set by whoever knows the kernel: `calls()` names functions with them."""
    libraries: set[str] = field(default_factory=set, repr=False)
    """Every `[lib]` printed while a boot table ran: a symbol prefixed with one of them names its
    library (collected only then, so the other lines, most of a console, cost nothing more)."""
    _firmware_console: ConsoleParser | None = field(default=None, repr=False, compare=False)
    """The firmware's debug console, cut into lines as the serial console is (made at its first byte)."""
    _spans: dict[str, _Span] = field(default_factory=dict)
    _ninep: dict[str, _Edge] = field(default_factory=dict)
    _ninep_parent: dict[str, str | None] = field(default_factory=dict)
    """The phase in progress when each 9P start edge came: the handshake's parent."""
    _top: str | None = None
    """The top-level phase in progress (or last reached)."""
    _first_edge: _Edge | None = None
    """The guest's first line, while no phase has started."""
    _child: str | None = None
    """The nested phase in progress inside `_top` (`bus_probe`, `mount`), if any."""
    _guest_now: float | None = None
    _host_now: int | None = None
    _stamp_host_ns: int | None = None
    """Host arrival of the line that gave `_guest_now` (places unstamped lines: `_edge`)."""
    _stamped: bool = False
    """The record being read carries a printk stamp."""
    _unsettled: list[_Edge] = field(default_factory=list, repr=False)
    """Edges of unstamped lines since the latest stamp: the next one bounds them (`_settle`)."""
    _cause: str | None = None
    """What an earlier error line means for the crash or failure it leads to (`outcomes.CAUSE_RULES`)."""
    _banner_end: _Edge | None = None
    """Just after the banner's latest line, while nothing else followed it: where main starts."""
    _calls: list[_CallSpan] = field(default_factory=list)
    _call: _CallSpan | None = None
    """The call in progress."""
    _call_inside: frozenset[str] = _NOTHING_INSIDE
    """The phases that run inside the call in progress (`_INSIDE_CALLS`)."""
    _ready_re: Any = field(default=None, repr=False)
    """`ready`, compiled by RE2 (`model.regex`: linear time, whatever the pattern)."""
    tsc_estimate_hz: int | None = None
    """The TSC frequency the guest calibrated (`Clock source: TSC, frequency estimate is N Hz`)."""
    clock_reference: ClockReference | None = field(default=None, repr=False, compare=False)
    """The run's pooled TSC frequency, shared by its guests (one of its own when alone)."""
    _clock_samples: ClockSamples = field(default_factory=ClockSamples, repr=False)
    _fit: RateFit | None = field(default=None, repr=False)
    _fit_at: int = 0
    """`_clock_samples.added` when `_fit` was made."""
    _console_over: bool = False
    """The process exited or the log ended: the fit takes every point in."""
    share_tags: tuple[str, ...] | None = None
    """The mount tags of the 9P shares its VMM offers (`--fs`: `fs0`; none: `()`); None when
    unknown (a saved log, a `--cmd` launcher). A failed 9P mount then says what was missing."""

    def __post_init__(self) -> None:
        self._ready_re = compile_regex(self.ready, "--ready") if self.ready is not None else None
        if self.clock_reference is None:
            self.clock_reference = ClockReference()
        self.clock_reference.register(self.name, self)

    # -- host events ---------------------------------------------------------------------------

    def spawned(self, host_ns: int) -> None:
        """The VMM process was started at `host_ns`: the origin of the host clock."""
        self.spawn_ns = host_ns
        self._host_now = host_ns

    def vmm_ready(self, host_ns: int) -> None:
        self.vmm_ready_ns = host_ns

    def released(self, host_ns: int) -> None:
        self.release_ns = host_ns

    def firmware_started(self, host_ns: int) -> None:
        """The firmware printed its first debug byte: spawn (VMM start) ends, firmware begins."""
        if self.firmware_ns is None:
            self.firmware_ns = host_ns

    def firmware_output(self, data: bytes, host_ns: int) -> None:
        """Bytes of the firmware's debug console (SeaBIOS port 0x402) that arrived at `host_ns`: the
        first starts the firmware; a line that names a part of its work (`phases.FIRMWARE_RULES`)
        starts that part where the line's first byte arrived (SeaBIOS says what it does before it
        does it). A part named again later stays where it started."""
        self.firmware_started(host_ns)
        if self._firmware_console is None:
            self._firmware_console = ConsoleParser()
        self._firmware_lines(self._firmware_console.feed(data, host_ns))

    def _firmware_lines(self, records: list[Record]) -> None:
        for record in records:
            part = firmware_part_of(record.text)
            if part is not None and part not in self.firmware_parts and record.host_ns is not None:
                self.firmware_parts[part] = record.host_ns

    def process_exited(self, host_ns: int) -> None:
        """The VMM process ended: closes the last phase on the host clock."""
        self.exit_ns = host_ns
        self.console_end_ns = self._host_now
        if self._firmware_console is not None:
            self._firmware_lines(self._firmware_console.flush())  # a last line without its newline
        self._host_now = host_ns
        self._end_console()
        # no guest stamp marks a process exit: the phase it ends has a host end only
        edge = _Edge(None, host_ns, self.lines)
        self._close_current(edge)
        self._end_call(edge)

    def timed_out(self, host_ns: int, seconds: float) -> None:
        if not self.status.finished:
            self.status = Status.TIMEOUT
            where = f" in {self.current}" if self.current else " before the first guest line"
            self.ending = Ending(f"no exit after {seconds:g} s{where}", "")
        self._host_now = host_ns

    def stop(self, reason: str) -> None:
        """uktrace or its user ended the guest before it ended by itself (never `exited`)."""
        if not self.status.finished:
            self.status = Status.STOPPED
            where = f" in {self.current}" if self.current else ""
            self.ending = Ending(f"{reason}{where}", "")

    def lose(self, reason: str) -> None:
        """The node it ran on was lost before it ended by itself."""
        if not self.status.finished:
            self.status = Status.LOST
            where = f" in {self.current}" if self.current else ""
            self.ending = Ending(f"{reason}{where}", "")

    def fail(self, reason: str, line: str = "") -> None:
        """The launcher saw a failure (QEMU error, KVM internal error, bad exit status)."""
        if self.status in (Status.BOOTING, Status.RUNNING, Status.TIMEOUT) or (
            self.status is Status.EXITED and self.ending is None and self.exit_code is None
        ):
            self.status = Status.FAILED
            self.ending = Ending(reason, line or reason)

    # -- records -------------------------------------------------------------------------------

    def consume(self, record: Record) -> None:
        """Advance the state machine by one console record."""
        # one unpacking, not an attribute read per field: this runs for every console line
        _, kind, text, _, message, timestamp, level, _, _, _, _, _, host_ns, _ = record
        self.lines += 1
        if host_ns is not None:
            self._host_now = host_ns
            if self.first_byte_ns is None:
                self.first_byte_ns = host_ns
        self._stamped = timestamp is not None
        if timestamp is not None:
            if self._unsettled:
                self._settle(timestamp)
            if self._guest_now is None or timestamp > self._guest_now:
                # monotonic guest clock: a reboot (or a glued second boot) cannot move time back
                self._guest_now = timestamp
                self._stamp_host_ns = host_ns
            if host_ns is not None and timestamp > 0 and self._clock_samples.add(host_ns, timestamp):
                self._fit_more()
        if not self._spans and not self.excerpt and (kind in _GUEST_KINDS or (kind == Kind.OTHER and text.strip())):
            self._before_markers(record)
        if self._banner_end is not None and kind != Kind.BANNER:
            # Unikraft prints the banner right before main: without Info lines, what follows is main,
            # from the banner's end (what it prints first may come much later)
            edge, self._banner_end = self._banner_end, None
            if kind != Kind.PRINTK or phase_of(message) is None:
                self._enter("main", edge)
        if kind == Kind.PRINTK:
            self._printk(record, message, level, host_ns)
        elif kind == Kind.BANNER:
            self._guest_line(record)
            if self.version is None:
                self.version = art_version(text) or one_line_banner(text)
            self._enter("banner")
            self._banner_end = self._mark()
            self._banner_end.seq += 1  # after this line
        elif kind == Kind.APP:
            self._guest_line(record)
            if "main" not in self._spans:
                self._enter("main")
            self._outcome(record)
        elif kind == Kind.OTHER:
            if text.strip():
                self.unrecognised += 1
                self._guest_line(record)
                self._outcome(record)
        elif kind == Kind.VMM:
            self._outcome(record)
        if self._ready_re is not None and self.ready_line is None and kind in _READY_KINDS:
            self._look_for_ready(self._ready_re, record)

    def _before_markers(self, record: Record) -> None:
        """A guest line before any phase: where the in-guest phases start (module docstring). The
        kernel's first line starts `platform_entry` (now, or once a stamp says the timer had not
        started yet: unstamped lines may be a saved log's excerpt from a running kernel); a saved
        log whose first stamps come after the timer started begins mid-boot (`excerpt`)."""
        if self._first_edge is None:
            self._first_edge = self._mark()
        marker = record.kind in (Kind.BANNER, Kind.APP) or (
            record.kind == Kind.PRINTK and phase_of(record.message) is not None
        )
        if marker and self._first_edge.seq == self.lines:
            return  # the first guest line is a marker: nothing before it
        if self.spawn_ns is not None or record.timestamp == 0:
            self._spans["platform_entry"] = _Span("platform_entry", self._first_edge)
            self._top = self.current = "platform_entry"
        elif record.timestamp is not None or marker:
            self.excerpt = True

    def _look_for_ready(self, pattern: Any, record: Record) -> None:
        """At the ready line, the `ready` phase spans main's start to here (see the module docstring)."""
        if "main" not in self._spans or not pattern.search(record.text):
            return
        self.ready_line = record.text
        self._spans["ready"] = _Span("ready", self._spans["main"].start, self._mark(), "main")

    @property
    def not_ready(self) -> str | None:
        """`not ready: exited first` (crashed, failed, timed out, stopped) for a guest that was to
        print a ready line and ended without one; None otherwise."""
        if self._ready_re is None or self.ready_line is not None or not self.status.finished:
            return None
        return f"not ready: {_NOT_READY.get(self.status, 'ended first')}"

    def _printk(self, record: Record, message: str, level: str | None, host_ns: int | None) -> None:
        level = level or ""
        self.level_counts[level] = self.level_counts.get(level, 0) + 1
        if level == "dbg":
            self.debug_bytes += len(record.raw)
        elif level == "ERR" and self._cause is None:
            self._cause = cause_of(message)
        if self.first_guest_line is None:
            self.first_guest_line = self.lines
        if self.first_guest_ns is None and host_ns is not None:
            self.first_guest_ns = host_ns
        if self.version is None and message.startswith("Unikraft"):
            self.version = message_version(message)
        if self.tsc_estimate_hz is None and message.startswith("Clock source: "):
            self.tsc_estimate_hz = tsc_estimate_hz(message)
            self._clock_changed()
        if self._call is not None:
            self._printed_during(self._call, record)
        marker = marker_of(message)
        if marker is not None:
            kind, name = marker
            if kind == "9p":
                if name not in self._ninep:
                    self._ninep[name] = self._mark()
                    self._ninep_parent[name] = self.current or "platform_entry"
            else:
                if self._child is not None and ends_part(self._child, message):
                    self._close_child(self._mark())  # `Clock source: ` ends the calibration
                    self.current = self._top
                self._enter(name)
                if message.startswith("Call "):  # every call line is a marker of its table's phase
                    self._call_line(message)
                elif self._call is not None and name not in self._call_inside:
                    # boot.c's own line after a table, or a later phase no function of it runs
                    self._end_call(self._mark())
                if name == "main" and message.startswith("Calling main("):
                    self._run()
                elif name == "exit":
                    self._exit(message)
        if level in _SEVERE:
            if level == "ERR" and marker is None and self._call is not None:
                self._call_line(message)  # `Init function at ... returned error`
            self._outcome(record)

    def _printed_during(self, call: _CallSpan, record: Record) -> None:
        """A line printed while `call` ran: its library, and its caller address as evidence."""
        library = record.library
        if library is not None:
            self.libraries.add(library)
        if record.caller is not None and len(call.printed) < _PRINTED_PER_CALL:
            call.printed.append((record.caller[0], library))

    def _call_line(self, message: str) -> None:
        """Open (or, for the init error line, end) a call span when `message` is a call line."""
        found = call_of(message)
        if found is None:
            return
        rule, address = found
        edge = self._mark()
        self._end_call(edge)
        if rule.phase == self._top and self._child is not None:
            self._close_child(edge)  # the function that ran the bus probe or the mount has returned
            self.current = self._top
        if rule.kind != "returned" and len(self._calls) < MAX_CALLS:
            # `Call constructor:` also runs the application's .init_array, in main
            table = "main" if rule.kind == "constructor" and self.current == "main" else rule.phase
            self._call = _CallSpan(table, rule.kind, address, edge)
            self._call_inside = _INSIDE_CALLS.get(table, _NOTHING_INSIDE)
            self._calls.append(self._call)

    def _end_call(self, edge: _Edge) -> None:
        if self._call is not None:
            self._call.end = edge
            self._call = None

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
        if self.status is Status.EXITED and self.ending is not None:
            return
        self.status = Status(outcome)
        reason = record.message.strip()
        hint = share_hint(wanted_share(reason), self.share_tags) or self._cause
        self.ending = Ending(f"{reason}; {hint}" if hint else reason, record.text)
        if self.version is None and outcome == "crashed":
            self.version = message_version(record.message)

    def _guest_line(self, record: Record) -> None:
        if self.first_guest_line is None:
            self.first_guest_line = self.lines
        if self.first_guest_ns is None and record.host_ns is not None:
            self.first_guest_ns = record.host_ns

    def _run(self) -> None:
        if self.status is Status.BOOTING:
            self.status = Status.RUNNING

    def _edge(self) -> _Edge:
        """Where the line being read stands: its stamp, or for an unstamped line (the banner, an
        application's output, a ready line) a place on the guest clock through its host arrival:
        the latest stamp plus the host time since that stamp's line arrived, at the rate this guest's
        own clock fit has measured when it is sure of it (a clock that ran 2x slow advanced half as
        much), else the host's (a fit of a few early chunks extrapolates badly). A server that
        waits 300 ms in main, then prints `Listening` without a stamp reads ~300 ms, not the 1.8 ms
        of the latest stamp; never before that stamp, and the next stamp moves it back if it lies
        beyond (`_settle`: its chunk came late). A saved log has no arrivals: then its guest time
        is the latest stamp, a lower bound (`bound`), and the next stamp the upper one."""
        guest = self._guest_now
        if self._stamped or guest is None or guest <= 0:
            return _Edge(guest, self._host_now, self.lines)
        if self._host_now is None or self._stamp_host_ns is None:
            return _Edge(guest, self._host_now, self.lines, bound=True)
        fit = self._fit
        rate = fit.rate if fit is not None and fit.rate > 0 and fit.half_width <= _SURE_RATE else 1.0
        return _Edge(guest + max(0.0, rate * (self._host_now - self._stamp_host_ns) / 1e9), self._host_now, self.lines)

    def _mark(self) -> _Edge:
        """`_edge`, for an edge the timeline keeps: an unstamped one waits for the next stamp."""
        edge = self._edge()
        if not self._stamped and edge.guest is not None and edge.guest > 0:
            self._unsettled.append(edge)
        return edge

    def _settle(self, stamp: float) -> None:
        """The first stamp after unstamped edges: each lies before it. One placed beyond it (its
        chunk came late) moves back to it; a bound gets it as its latest time (`_Edge.spread`)."""
        for edge in self._unsettled:
            if edge.guest is not None and edge.guest > stamp:
                edge.guest = stamp
            if edge.bound:
                edge.latest = stamp
        self._unsettled.clear()

    def _enter(self, phase: str, edge: _Edge | None = None) -> None:
        """Start `phase` at `edge` (default: the line being read), ending what it follows."""
        if phase in self._spans:
            return
        parent = PARENTS.get(phase)
        if parent is not None and parent not in self._spans:
            self._enter(parent)  # init functions probe and mount: their table runs, unmarked
        elif parent is not None and parent != self._top:
            return  # its parent is over: the phase in progress does this (an application's mount)
        edge = edge or self._mark()
        if phase not in NESTED:
            self._close_current(edge)
            self._top = phase
        else:
            self._close_child(edge)
            self._child = phase
        self.current = phase
        self._spans[phase] = _Span(phase, edge, parent=parent)
        if self._call is not None and phase not in self._call_inside:
            self._end_call(edge)
        if phase == "main":
            self._run()

    def _close_current(self, edge: _Edge) -> None:
        """End the phase in progress, and the one nested in it."""
        self._close_child(edge)
        if self._top is not None:
            span = self._spans[self._top]
            if span.end is None:
                span.end = edge

    def _close_child(self, edge: _Edge) -> None:
        if self._child is not None:
            span = self._spans[self._child]
            if span.end is None:
                span.end = edge
            self._child = None

    # -- reading -------------------------------------------------------------------------------

    def clock_fit(self) -> RateFit | None:
        """The guest clock's rate fitted to its own stamps (`clock_rate.fit_rate`): made as the
        console's chunk points reach 3, 6, 12, 24, … (each time they double: `_fit_more`), and
        once more over all of them when the console is over. A fit costs 0.5-2 ms: made each time
        the console grew by a quarter, a hundred guests flooding at once crossed their steps
        together and stalled the TUI's event loop 150-330 ms at a time. Made as data arrives, it
        is the same whenever it is read (a replay sought back and forth shows what a straight
        one does)."""
        if self._console_over and self._fit_at != self._clock_samples.added:
            self._fit_now()
        return self._fit

    def _end_console(self) -> None:
        """No more console: the clock's last fit over every point, made now, as each guest ends,
        rather than for a hundred at once by whichever view asks next (a 60-200 ms stall)."""
        self._console_over = True
        if self._fit_at != self._clock_samples.added:
            self._fit_now()
        else:
            self._clock_changed()

    def _fit_more(self) -> None:
        """A chunk point was added: fit again when the points have doubled since the last fit."""
        if self._clock_samples.added >= max(3, 2 * self._fit_at):
            self._fit_now()

    def _fit_now(self) -> None:
        self._fit = fit_rate(self._clock_samples.points)
        self._fit_at = self._clock_samples.added
        self._clock_changed()

    def guest_clock(self) -> GuestClock:
        """The guest clock's rate and whether it is skewed (see `uktrace.model.clock_rate`)."""
        reference = self.clock_reference.reference() if self.clock_reference is not None else None
        return assess(self.tsc_estimate_hz, self.clock_fit(), reference)

    def _clock_changed(self) -> None:
        if self.clock_reference is not None:
            self.clock_reference.version += 1

    @property
    def guest_now(self) -> float | None:
        """The latest guest stamp seen: how far the guest's own clock has got (None before any)."""
        return self._guest_now

    def phases(self) -> list[Phase]:
        """Every phase seen so far, in start order; a phase in progress has no end yet (host phases
        included: a guest waiting at the gate is in an open `gate`)."""
        result = self._host_phases()
        spans = list(self._spans.values())
        spans.extend(self._handshake_spans())
        spans.sort(key=lambda span: (span.start.seq, PHASES.index(span.name)))
        rate = self.guest_clock().correction if self._clock_samples.added or self.tsc_estimate_hz else None
        result.extend(self._phase(self._inside(span), rate) for span in spans)
        return result

    def _inside(self, span: _Span) -> _Span:
        """`span` ending no later than its parent: a 9P reply or a ready line after the phase it
        began in is over (or none before the boot ended) ends with that phase."""
        parent = self._spans.get(span.parent) if span.parent is not None else None
        if parent is None or parent.end is None:
            return span
        if span.end is None or span.end.seq > parent.end.seq:
            return _Span(span.name, span.start, parent.end, span.parent)
        end, limit = span.end.guest, parent.end.guest
        if end is not None and limit is not None and end > limit:  # placed through its arrival: not beyond
            return _Span(span.name, span.start, replace(span.end, guest=limit), span.parent)
        return span

    def phase(self, name: str) -> Phase | None:
        return next((p for p in self.phases() if p.name == name), None)

    def _handshake_spans(self) -> list[_Span]:
        """The 9P and FUSE handshakes seen, each from the first of its edge pairs that started."""
        spans: dict[str, _Span] = {}
        for name, start, end in HANDSHAKE_EDGES:
            if start in self._ninep and name not in spans:
                spans[name] = _Span(name, self._ninep[start], self._ninep.get(end), self._ninep_parent[start])
        return list(spans.values())

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
        if self.vmm_ready_ns is not None:
            # started paused: VMM start, then the wait at the start gate, then the firmware
            edges = [("spawn", self.spawn_ns), ("gate", self.vmm_ready_ns), ("firmware", self.release_ns)]
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
            if name == "firmware" and self.firmware_parts:
                phases.extend(self._firmware_phases(start, end))
            if end is None:
                break
        return phases

    def _firmware_phases(self, start: int, end: int | None) -> list[Phase]:
        """The firmware's parts (`firmware_parts`), each until the next one starts, the last until
        the firmware ends (the kernel's first line), all within the firmware: its debug console and
        the serial console are read apart, so a last debug line can be read after the kernel's first."""
        starts = sorted(self.firmware_parts.items(), key=lambda item: item[1])
        ends: list[int | None] = [at for _, at in starts[1:]]
        ends.append(end)
        result = []
        for (name, at), until in zip(starts, ends, strict=True):
            begin = max(at, start) if end is None else min(max(at, start), end)
            if until is not None:
                until = max(begin, until if end is None else min(until, end))
            result.append(
                Phase(name, host_start=self._seconds(begin), host_end=self._seconds(until), parent="firmware")
            )
        return result

    def _phase(self, span: _Span, rate: float | None = None) -> Phase:
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
            rate=rate,
            parent=span.parent,
            first_line=span.start.seq,
            last_line=end.seq if end else None,
            start_bound=not _close(span.start, end, span.start.spread()),
            end_bound=end is not None and not _close(span.start, end, end.spread()),
        )

    def calls(self, symbols: SymbolTable | None = None) -> list[Call]:
        """Every constructor, init and term function seen so far, in boot order, named from
        `symbols` (default: the timeline's own); a call in progress has no end yet."""
        symbols = symbols if symbols is not None else self.symbols
        last = self._edge() if self.status.finished else None
        rate = self.guest_clock().correction if self._clock_samples.added or self.tsc_estimate_hz else None
        result = []
        for span in self._calls:
            end = span.end if span.end is not None else last
            call = Call(
                span.phase,
                span.kind,
                span.address,
                guest_start=span.start.guest,
                guest_end=end.guest if end else None,
                host_start=self._seconds(span.start.host_ns),
                host_end=self._seconds(end.host_ns) if end else None,
                printed=tuple(span.printed),
                rate=rate,
                first_line=span.start.seq,
            )
            result.append(named(call, symbols, self.libraries))
        return result

    def finish(self) -> None:
        """The console ended (end of a log file): close the open phase and call at the last thing seen."""
        self._end_console()
        edge = self._edge()
        self._close_current(edge)
        self._end_call(edge)
