"""The shape of `uktrace run --json` (and `replay --json`, and each bench cell's `run`): every
guest's timeline with what the host saw of it, its figures, its CPU per phase, its console script
and its console's cost; then a `summary` of the run.
"""

from typing import Annotated, Any, TypedDict

from .checks import COUNT, MAX_ITEMS, SECONDS, Bad, number, optional, rows, text
from .derive import checked, checks
from .recording import Host, Steps
from .recording import TracerBooting as TracerBooting
from .timeline import ParseGuest, Seconds, Text


class PhaseUsage(TypedDict):
    """A phase's wall time on the host split: on a CPU, waiting for one (null without schedstat)."""

    wall_s: float
    cpu_s: float
    wait_s: float | None


def _usage(value: Any) -> dict[str, Any]:
    """`cpu`: per phase, numbers (on-CPU and waiting seconds, shares)."""
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        raise Bad("is not an object of phases")
    result = {}
    for phase, usage in value.items():
        if not isinstance(usage, dict):
            raise Bad(f"{text(phase)} is not an object")
        result[text(phase)] = {text(key): SECONDS(item) for key, item in usage.items()}
    return result


class ConsoleRequired(TypedDict):
    bytes: Annotated[int, optional(COUNT)]
    debug_bytes: Annotated[int, optional(COUNT)]
    cost_s: Seconds
    why: Text


class Console(ConsoleRequired, total=False):
    """What the console cost the guest (`uktrace calibrate`'s price per byte): the estimate with
    its interval, what a build without debug lines would save, against the in-guest time; or, with
    `cost_s` null, `why` not."""

    ci: Annotated[list[float], optional(rows(number(0, 1e9), "seconds"))]
    debug_cost_s: Seconds
    in_guest_s: Seconds
    per_byte_s: Seconds


class RunGuest(ParseGuest):
    """A traced guest: its timeline and figures, and what the host saw of it."""

    host: Host
    cpu: Annotated[dict[str, PhaseUsage], optional(_usage)]
    script: Steps
    console: Annotated[Console, optional(checked(Console, "a console's cost"))]


GUEST = checks(RunGuest)
"""A guest of `run --json` beside `host` (which is read as guest.json's, `recording.HOST`)."""


class Distribution(TypedDict):
    """Seconds across guests, and the clock(s) they were read on."""

    count: int
    p50: float
    p95: float
    max: float
    min: float
    mean: float
    stdev: float
    p90: float
    p99: float
    clock: str


class Accel(TypedDict):
    """The run's accelerator and why (`--accel auto`'s reason)."""

    accel: str
    reason: str | None


class Tracer(TypedDict):
    """uktrace's own CPU time and peak memory (QEMU processes excluded): for `run`, the process's
    (start-up included); for a bench's cell, from the cell's start (before, every cell so far's)."""

    cpu_user_s: float
    cpu_system_s: float
    max_rss_mib: float
    """The process's peak: in a bench, the largest of every cell so far."""
    booting: TracerBooting | None
    """While these guests booted: for a replay, the recorded run's (session.json `tracer`); None
    before any guest started and ended, or for a recording made before uktrace kept it."""
    policy: str
    """The event loop thread's scheduling policy: `batch` (it yields to the guests, the default),
    `normal` (`--guest-priority low`, a cluster run, a replay, a host that refused)."""


class SkewedRate(TypedDict):
    """The skewed guest clocks' rates against the host's: the lowest, the median, the highest."""

    min: float
    median: float
    max: float


class ClockSummary(TypedDict):
    """The run's guest clocks: how many were measured, how many ran skewed and how far."""

    guests: int
    known: int
    skewed: int
    skewed_rate: SkewedRate | None
    reference_hz: int | None
    tolerance: float


class SummaryRequired(TypedDict):
    guests: int
    jobs: int
    accel: Accel | None
    counts: dict[str, int]
    spawn_spread_s: float | None
    phases: dict[str, Distribution]
    times: dict[str, Distribution | None]
    record_dir: str
    interrupted_by: int | None
    recording_errors: list[str]
    tracer: Tracer
    console: str | None
    guest_clock: ClockSummary


class Summary(SummaryRequired, total=False):
    """The run as a whole: guests per status, distributions per phase and figure, where it is
    recorded, what uktrace itself cost; `cluster` on a cluster only (its nodes, start spread,
    console latency); `observer` (a live `run --json` only) when this host's `bench --observer-check`
    measured as many guests at once: what that check found uktrace itself changed, and the sentence."""

    cluster: dict[str, Any]
    observer: dict[str, Any]


class RunOutput(TypedDict):
    """`uktrace run --json`, `uktrace replay --json`: the guests, then the run's summary."""

    format: int
    guests: list[RunGuest]
    summary: Summary
