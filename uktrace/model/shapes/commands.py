"""The shapes of the other commands' `--json`: `compare`, `blame` and `recordings`."""

from typing import Any, TypedDict

from .recording import ObserverEffect, TracerBooting
from .run import ClockSummary


class CellGuests(TypedDict):
    """A cell's guests, and how many ended in each status."""

    guests: int
    statuses: dict[str, int]


class CompareInput(TypedDict):
    """One input of a comparison: a run or a bench, its cells' guests, its guest clocks."""

    source: str
    kind: str
    guests: int
    cells: dict[str, CellGuests]
    guest_clock: ClockSummary | None
    guest_priority: list[str]
    tracer_share: float | None
    """uktrace's own share of the host's CPUs while the guests booted
    (`summary.tracer.booting.share`; a bench's: the median of its rounds); null where the input
    does not say (a log, a recording made before uktrace kept it)."""


class CellComparison(TypedDict):
    """One cell of A against B: each figure's medians, intervals, difference and verdict."""

    cell: str
    a: CellGuests
    b: CellGuests
    metrics: list[dict[str, Any]]


class Comparison(TypedDict):
    """An input (B) against the baseline (A): cell by cell, and the cells only one of them has."""

    a: str
    b: str
    cells: list[CellComparison]
    only_in_a: list[str]
    only_in_b: list[str]


class CompareOutput(TypedDict):
    """`uktrace compare --json`: the inputs, the method, each input against the baseline, and
    with `--fail-above` the gate's outcome, its regressions and what it could not judge."""

    format: int
    baseline: str
    inputs: list[CompareInput]
    method: dict[str, Any]
    comparisons: list[Comparison]
    fail_above: float | None
    gate: str | None
    exit_status: int
    regressions: list[dict[str, Any]]
    not_judged: list[dict[str, Any]]


class FunctionBlame(TypedDict):
    """One function across guests (seconds); or, `kind` `part`, a part of a phase the console names
    (the TSC calibration, the firmware's parts), `phase` the phase it runs in."""

    function: str
    named: bool
    library: str | None
    phase: str
    kind: str
    guests: int
    calls: int
    timed: int
    p50: float | None
    p95: float | None
    clock: str | None


class BlameRecording(TypedDict):
    """What a recording blame read says of uktrace itself: its CPU while the guests booted and
    the recording host's observer check of that size (null where it does not say)."""

    source: str
    tracer: TracerBooting | None
    observer: ObserverEffect | None


class BlameOutput(TypedDict):
    """`uktrace blame --json`: every constructor and init function, and every named part of a
    phase, the slowest (p95) first; `recordings`, what each recording read says of uktrace itself."""

    format: int
    guests: int
    functions: list[FunctionBlame]
    without_calls: list[str]
    hints: list[str]
    recordings: list[BlameRecording]


class Listed(TypedDict):
    """A recording on disk."""

    path: str
    kind: str
    started: float
    kernel: str
    guests: int
    statuses: dict[str, int]
    bytes: int
    in_progress: bool
    marked: bool


class RecordingsOutput(TypedDict):
    """`uktrace recordings --json`: the recordings kept under `base`, and what else is there."""

    format: int
    base: str
    recordings: list[Listed]
    others: list[str]
