"""The shape of a recording's JSON files: `<guest>/guest.json` (how a guest was started and how it
ended, with its host times in `host`) and `session.json` (the run: uktrace, QEMU, the host, the
command, the options, the guests). The recording's layout is `recording.record`'s docstring.
"""

from typing import Annotated, Any, TypedDict

from .checks import (
    COUNT,
    INT32,
    LAST_EPOCH,
    MAX_ITEMS,
    NS,
    Bad,
    cpu_mark,
    flag,
    integer,
    number,
    optional,
    pattern,
    rows,
    sha256,
    status,
    text,
    text_map,
    texts,
)
from .derive import OPEN, checked, checks
from .timeline import CRASH, UNIKRAFT, Crash, Seconds, Text, Unikraft

Ns = Annotated[int | None, optional(NS)]
Count = Annotated[int | None, optional(COUNT)]
Flag = Annotated[bool, optional(flag)]


class Stream(TypedDict):
    """On a cluster: the node a guest ran on and what its event stream proved."""

    node: Text
    events: Count
    lost_events: Count
    lost: Text


STREAM = checked(Stream, "a stream's account")

HOST_TIMES = ("spawn_ns", "ready_ns", "release_ns", "firmware_ns", "first_byte_ns", "exit_ns")
"""The host's monotonic times of a guest (ns), spawn first."""


class HostRequired(TypedDict):
    accel: Text
    accel_reason: Text
    spawn_ns: Ns
    ready_ns: Ns
    release_ns: Ns
    firmware_ns: Ns
    first_byte_ns: Ns
    exit_ns: Ns
    wall_s: Seconds
    bytes: Count
    qemu_status: Annotated[int | None, optional(INT32)]
    stderr_tail: Text
    integrity: Text
    lingered: Flag
    held: Text
    """What uktrace still waited for after QEMU's exit when the timeout ended it (a hang of its own)."""
    recording: Text
    cpu_marks: Annotated[list[list[str | int | None]], optional(rows(cpu_mark, "[phase, ns, cpu ns, wait ns]"))]
    cpu_total_ns: Count
    nice: Annotated[int | None, optional(integer(-20, 19))]
    idle_policy: Flag
    apart: Flag
    node: Text
    stream: Annotated[Stream | None, optional(STREAM)]
    fs_type: Text
    virtiofsd_status: Annotated[int | None, optional(INT32)]
    virtiofsd_start_s: Seconds


class Host(HostRequired, total=False):
    """What the host saw of a guest, in monotonic ns (spawn, QMP answered, gate release, the
    firmware's first debug byte, the first console byte, exit), its QEMU's accounting and the
    console's integrity; `stored_*` only when the disk kept fewer bytes than arrived."""

    stored_bytes: Count
    stored_integrity: Text


HOST = checks(Host)
"""guest.json's `host`: checked field by field (one bad time does not lose the others)."""


class KernelImage(TypedDict):
    """The booted image's identity, and its symbol table inside the recording."""

    sha256: Annotated[str, sha256]
    size: Annotated[int, COUNT]
    unikraft: Annotated[Unikraft | None, optional(UNIKRAFT)]
    symbols: Text


class Step(TypedDict):
    """A console script's step (`--expect/--send`) and what it did: host seconds since the spawn."""

    expect: Annotated[str | None, optional(pattern)]
    send: Text
    timeout: Seconds
    outcome: Text
    matched: Text
    start: Seconds
    end: Seconds
    wait: Seconds
    clock: Text


STEP = checked(Step, "a script step")
Steps = Annotated[list[Step], optional(rows(STEP, "script steps"))]


class GuestFile(TypedDict):
    """`<guest>/guest.json`: written as the guest starts (status `booting`), then replaced as it ends."""

    name: Text
    argv: Annotated[list[str], optional(texts)]
    kernel: Text
    kernel_image: Annotated[KernelImage | None, optional(checked(KernelImage))]
    fs: Text
    host: Host
    status: Annotated[str, optional(status)]
    exit_code: Annotated[int | None, optional(INT32)]
    crash: Annotated[Crash | None, optional(CRASH)]
    ready: Annotated[str | None, optional(pattern)]
    script: Steps


GUEST = checks(GuestFile)
"""guest.json's fields beside `host` (read field by field, as `HOST`)."""


class Options(TypedDict, total=False):
    """The run's options as its command line gave them (every option is kept; these are the ones
    a reader uses)."""

    command: Text
    kernel: Text
    count: Annotated[int | None, optional(integer(0, MAX_ITEMS))]
    jobs: Annotated[int | None, optional(integer(1, MAX_ITEMS))]
    fs: Text
    fs_mode: Text
    accel: Text
    cmd: Text
    qemu: Text
    bench_cell: Text
    fs_type: Text
    config: Annotated[dict[str, str] | None, optional(text_map)]


OPEN.add(Options)
OPTIONS = checks(Options)


class SessionHost(TypedDict):
    """The host that recorded: its CPUs and its kernel's release."""

    cpus: Annotated[int | None, optional(integer(0, 1 << 20))]
    kernel: Text


class Recorder(TypedDict):
    """The process that recorded: with the boot, it names a recorder still running."""

    pid: Annotated[int | None, optional(integer(0, 1 << 31))]
    boot_id: Text


SHARE = number(0.0, 1e6)


class TracerBooting(TypedDict):
    """uktrace's CPU while its guests booted (the first one's start to the last one's exit): at
    most what it took from them (`launch.tracer_usage`). A run's JSON has it
    (`summary.tracer.booting`), and its recording (session.json `tracer`): a replay and compare
    say it too."""

    window_s: Annotated[float, number(0.0, 1e9)]
    cpu_s: Annotated[float, number(0.0, 1e9)]
    cpus: Annotated[int, integer(1, 1 << 20, "a count of CPUs")]
    """The CPUs uktrace and its guests may run on."""
    share: Annotated[float, SHARE]
    """`cpu_s` over `window_s` x `cpus`: uktrace's share of the host's CPUs in the window."""
    wait_per_wake_s: Annotated[float | None, optional(number(0.0, 1e9))]
    """The event loop's mean wait for a CPU per wake-up in the window: how late a console chunk
    was read, on average, for want of a CPU (None without the kernel's schedstat)."""
    wakeups_per_s: Annotated[float | None, optional(number(0.0, 1e12))]
    """The event loop's wake-ups a second in the window (times its thread ran): how often uktrace's
    presence alone stirred the scheduler, whatever it did then (None without the kernel's schedstat)."""


TRACER_BOOTING = checked(TracerBooting, "uktrace's CPU while the guests booted", ("window_s", "cpu_s", "cpus", "share"))


def _interval(value: Any) -> list[float]:
    """A 95 % interval: [low, high] in seconds."""
    found: list[float] = rows(number(-1e9, 1e9), "seconds")(value)
    if len(found) != 2 or found[0] > found[1]:
        raise Bad("is not an interval [low, high]")
    return found


class ObserverVerdict(TypedDict):
    """A figure's verdict in a split of the effect (its wake-ups alone, its work beyond them)."""

    metric: Annotated[str, text]
    verdict: Annotated[str, text]


class ObserverMetricRequired(TypedDict):
    metric: Annotated[str, text]
    verdict: Annotated[str, text]


class ObserverMetric(ObserverMetricRequired, total=False):
    """One figure of the check: traced against unobserved, with compare's verdict and interval."""

    clock: Annotated[str | None, optional(text)]
    median_unobserved: Annotated[float | None, optional(number(-1e9, 1e9))]
    difference: Annotated[float | None, optional(number(-1e9, 1e9))]
    interval: Annotated[list[float] | None, optional(_interval)]


class ObserverEffectRequired(TypedDict):
    concurrency: Annotated[int, integer(1, 1 << 20, "a count of guests")]
    made: Annotated[float, number(0.0, LAST_EPOCH)]
    metrics: Annotated[
        list[ObserverMetric], rows(checked(ObserverMetric, "a figure's verdict", ("metric", "verdict")), "verdicts")
    ]


class ObserverEffect(ObserverEffectRequired, total=False):
    """What the host's `bench --observer-check` of as many guests at once found uktrace itself
    changes (`launch.observer_checks`): what a run's figures carry of uktrace, live or recorded."""

    host: Annotated[dict[str, str], optional(text_map)]
    """The host key it was measured under: QEMU's version, the accelerator, the CPU, the kernel."""
    method: Annotated[int | None, optional(integer(1, 1 << 20, "a method number"))]
    cell: Annotated[str | None, optional(text)]
    fs: Annotated[str | None, optional(text)]
    wakeups: Annotated[list[ObserverVerdict] | None, optional(rows(checked(ObserverVerdict, "a verdict"), "verdicts"))]
    beyond_wakeups: Annotated[
        list[ObserverVerdict] | None, optional(rows(checked(ObserverVerdict, "a verdict"), "verdicts"))
    ]


OBSERVER_EFFECT = checked(ObserverEffect, "an observer check's verdicts", ("concurrency", "made", "metrics"))


class SessionRequired(TypedDict):
    format: Annotated[int, integer(1, 1 << 31, "a format number")]
    uktrace: Annotated[str, text]
    qemu: Text
    host: Annotated[SessionHost, checked(SessionHost, "the host")]
    started: Annotated[float, number(0.0, LAST_EPOCH)]
    recorder: Annotated[Recorder, checked(Recorder, "the recorder")]
    command: Annotated[list[str], texts]
    options: Options
    guests: list[str]


class Session(SessionRequired, total=False):
    """`session.json`: what ran, where, when; `guests` names the guests' directories, in order.
    Written as the run starts; `tracer` is added once it ended."""

    tracer: Annotated[TracerBooting | None, optional(TRACER_BOOTING)]
    """uktrace's CPU while the guests booted (`summary.tracer.booting` of the run's JSON); null when
    no guest started and ended."""
    observer: Annotated[ObserverEffect | None, optional(OBSERVER_EFFECT)]
    """The recording host's last observer check of as many guests at once (`summary.observer` of
    the run's JSON); null when none had measured it."""


SESSION = checks(Session)
"""session.json's fields but `options` and `guests`, which the reader checks apart."""
