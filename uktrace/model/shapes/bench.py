"""The shape of a bench's `results.json`: the plan, the host, each cell (N guests at once in one
filesystem mode, one round) with its run as `run --json` prints it, and the summary per cell
pooled over rounds; `unobserved` and `observer` with the observer check only.
"""

from typing import Any, TypedDict

from .run import RunOutput


class Warmup(TypedDict):
    """The unrecorded cell run first, so the host's caches are warm for every recorded one."""

    concurrency: int
    fs_mode: str
    fs_type: str


class PlanOptions(TypedDict):
    """The run options every cell's guests had."""

    accel: str
    cpu: str | None
    mem: str
    append: str | None
    machine: str
    timeout: float | None
    cmd: str | None
    fs: str | None
    fs_rw: bool
    virtiofsd: str | None
    extra: list[str]


class ScheduleRequired(TypedDict):
    concurrency: list[int]
    fs_modes: list[str]
    fs_types: list[str]
    repeat: int
    seed: int
    warmup: Warmup | None
    cooldown_s: float
    observer_check: bool
    order: list[str]


class Schedule(ScheduleRequired, total=False):
    """The cells the bench runs, and their order (shuffled per round with `seed`); with `--vary`
    or `--what-if`, the axes, how they are crossed (`design`) and how many configurations."""

    axes: list[dict[str, Any]]
    design: str
    configs: int


class PlanRequired(Schedule):
    kernel: str
    options: PlanOptions
    lower_guests: bool


class Plan(PlanRequired, total=False):
    """What the bench was asked to run: its cells, the kernel, the options every guest had; with
    `--what-if`, the levers found on this machine and those skipped, with why."""

    what_if: dict[str, Any]


class BenchHost(TypedDict):
    """The machine that made the figures."""

    cpus: int | None
    platform: str
    python: str
    qemu: str | None


class CellRequired(TypedDict):
    id: str
    concurrency: int
    fs_mode: str
    fs_type: str
    round: int
    position: int
    recording: str
    wall_s: float
    load_before: list[float]
    load_after: list[float]
    interrupted_by: int | None
    run: RunOutput


class Cell(CellRequired, total=False):
    """One cell's run: its place in the order, where it is recorded, the host's load around it;
    with `--vary`, its configuration (axis to value) and the tag its id carries."""

    config: dict[str, str]
    tag: str


class CpuShare(TypedDict):
    """A phase's time summed over a cell's guests: on a CPU, waiting for one, and their shares."""

    guests: int
    wall_s: float
    cpu_s: float
    wait_s: float | None
    cpu_share: float | None
    wait_share: float | None


class PooledCellRequired(TypedDict):
    concurrency: int
    fs_mode: str
    fs_type: str
    rounds: int
    guests: int
    statuses: dict[str, int]
    failures: dict[str, int]
    phases: dict[str, dict[str, Any]]
    figures: dict[str, dict[str, Any]]
    cpu: dict[str, CpuShare]


class PooledCell(PooledCellRequired, total=False):
    """A cell's rounds pooled: statuses, failures by reason, each phase's and figure's
    distribution with a 95 % interval for its median, where the CPU went; with `--vary`, its
    configuration and tag."""

    config: dict[str, str]
    tag: str


class BenchSummary(TypedDict):
    """The cells' rounds pooled, per (concurrency, fs mode)."""

    cells: list[PooledCell]


class ResultsRequired(TypedDict):
    format: int
    uktrace: str
    kind: str
    command: list[str]
    plan: Plan
    host: BenchHost
    started: float
    wall_s: float
    interrupted_by: int | None
    cells: list[Cell]
    summary: BenchSummary


class Results(ResultsRequired, total=False):
    """A bench's `results.json`, rewritten after every cell; with the observer check, `unobserved`
    (each cell run unobserved, and again beside a thread that only wakes: those have `waker_s`) and
    `observer` (the tracer's effect per figure, once all ran; `wakeups` and `beyond_wakeups` split it)."""

    unobserved: list[dict[str, Any]]
    observer: list[dict[str, Any]]
