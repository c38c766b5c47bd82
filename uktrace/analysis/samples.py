"""Inputs of `uktrace compare` as samples: per cell (a bench's concurrency and fs mode, or one run),
per metric, the seconds each guest took, and the clock(s) they were read on.

Metrics are the phases (end - start on the phase's own clock, both ends known) and the figures
`boot` and `total`. The figures `mount` and `main` are, by definition (`stats.guest_times`), the
durations of the phases of the same name, so they are those phases' rows rather than copies.

Failed guests (crashed, failed, timeout) are counted per status and still contribute what they
measured before they stopped: every phase that the next phase ended. The phase a guest stopped in
does not count (its end is the crash, the kill or the timeout, not the phase's own end: a hang
in `main` would count as a 60 s `main`), nor do `exit` (from the failure to the process end) and
`total` (time to failure, not to exit). `boot` counts once `main` began: the guest did boot.
Dropping failed guests entirely would throw away good measurements of the phases before the
failure, and hide a slower phase whose guests then failed more often.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio

from uktrace.parsers.phases import NESTED, PHASES

from ..model.json_input import GuestJson, JsonError, load_json
from ..model.nesting import upgraded_document
from ..model.shapes.checks import Bad
from ..model.shapes.recording import TRACER_BOOTING
from ..model.text import shown_json
from ..recording.files import JSON_LIMIT, RefusedFile, read_file, read_named
from ..recording.reader import tell
from ..recording.record import RecordingError
from ..recording.replay import ReplayFleet
from .figures import median
from .guest_clock import ClockSummary, summary_of_json
from .pooled import Key, pool_results
from .results import fleet_results
from .run_shape import clean_input

FIGURE_METRICS = ("boot", "total")
"""The figures that are not a phase's duration (see the module docstring)."""

METRICS = (*PHASES, *FIGURE_METRICS)
"""Metrics in the order tables show them: the phases in boot order, then the figures."""

RUN_CELL = "run"
"""The cell of an input that is one run (a recording, `run --json`, `parse --json`)."""


class SamplesError(Exception):
    """An input compare cannot use (missing, unreadable, not uktrace's, no guest): one line for the user."""


@dataclass
class CellSamples:
    """The guests of one cell: per metric their seconds, clocks and runs, and how many ended how."""

    values: dict[str, list[float]] = field(default_factory=dict)
    runs: dict[str, list[int]] = field(default_factory=dict)
    """Per metric, the run each value came from (parallel to `values`): a bench's rounds are runs
    of their own, a recording or `run --json` is one run, each log of `parse --json` is one."""
    clocks: dict[str, Counter[str]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def guests(self) -> int:
        return sum(self.statuses.values())

    def add(self, metric: str, seconds: float, clock: str, run: int = 0) -> None:
        self.values.setdefault(metric, []).append(seconds)
        self.runs.setdefault(metric, []).append(run)
        self.clocks.setdefault(metric, Counter())[clock] += 1

    def by_run(self, metric: str) -> list[list[float]]:
        """The metric's values grouped by run, runs in order."""
        groups: dict[int, list[float]] = {}
        for value, run in zip(self.values.get(metric, []), self.runs.get(metric, []), strict=True):
            groups.setdefault(run, []).append(value)
        return [groups[run] for run in sorted(groups)]

    def failures(self) -> dict[str, int]:
        """Statuses other than a clean exit, with their counts."""
        return {status: n for status, n in sorted(self.statuses.items()) if status != "exited"}


@dataclass(frozen=True)
class Samples:
    """One input: where it came from, what it was, its cells by key."""

    source: str
    kind: str
    """`bench`, `recording`, `run` (`uktrace run --json`) or `parse` (`uktrace parse --json`)."""
    cells: dict[str, CellSamples]
    clocks: ClockSummary | None = None
    """The guests' own clocks (`analysis.guest_clock`); None for JSON from before uktrace checked them."""
    priorities: frozenset[str] = frozenset()
    """How its QEMUs ran against uktrace (`guest_priority`); empty where the input does not say."""
    tracer_shares: tuple[float, ...] = ()
    """uktrace's own share of the host's CPUs while the guests booted, per run (a bench's rounds);
    empty where the input does not say (a log; a recording made before uktrace kept it)."""

    @property
    def tracer_share(self) -> float | None:
        """The median of `tracer_shares`: what uktrace itself took from this input's guests."""
        return median(self.tracer_shares) if self.tracer_shares else None

    @property
    def guests(self) -> int:
        return sum(cell.guests for cell in self.cells.values())


def guest_status(guest: GuestJson) -> str:
    """`exited`, `exited (N)` for a non-zero exit code, or the failure status."""
    status = str(guest.get("status", "?"))
    code = guest.get("exit_code")
    return f"exited ({code})" if status == "exited" and code not in (None, 0) else status


def _duration(start: Any, end: Any) -> float | None:
    if isinstance(start, int | float) and isinstance(end, int | float):
        return float(end) - float(start)
    return None


def _stopped_in(phases: Sequence[GuestJson]) -> set[str]:
    """The phases a failed guest's failure ended rather than the boot: the last one before `exit`
    (not nested), the ones nested in it that it ended too (a failed mount, not the bus probe done
    before it), and `exit` (the failure until the process ended)."""
    names = [str(p.get("name")) for p in phases]
    outer = [i for i, name in enumerate(names) if name not in NESTED and name != "exit"]
    if not outer:
        return set(names)
    last = outer[-1]
    end = phases[last].get("end")
    cut = {str(p.get("name")) for p in phases[last + 1 :] if p.get("end") in (None, end)}
    return {"exit", names[last]} | {name for name in names[last + 1 :] if name in NESTED and name in cut}


def _figures(guest: GuestJson, phases: Sequence[GuestJson]) -> dict[str, tuple[float | None, str]]:
    """`boot` and `total` with their clocks: from `times` (run --json), else from the phases on the
    guest clock as `stats.guest_times` does for a parsed log (main's start; the last end)."""
    times = guest.get("times")
    if isinstance(times, Mapping):
        clocks = times.get("clocks") or {}
        return {name: (times.get(name), str(clocks.get(name, "host"))) for name in FIGURE_METRICS}
    main = next((p for p in phases if p.get("name") == "main"), None)
    boot = (main.get("guest") or {}).get("start") if main else None
    ends = [end for p in phases if isinstance(end := (p.get("guest") or {}).get("end"), int | float)]
    return {"boot": (boot, "guest"), "total": (max(ends) if ends else None, "guest")}


def add_guest(cell: CellSamples, guest: GuestJson, run: int = 0) -> None:
    """One guest's phases and figures into `cell` (see the module docstring for failed guests)."""
    status = guest_status(guest)
    cell.statuses[status] += 1
    phases = [p for p in guest.get("phases") or [] if isinstance(p, Mapping)]
    finished = guest.get("status") == "exited"
    skip = set() if finished else _stopped_in(phases)
    host = guest.get("host")
    if isinstance(host, Mapping) and host.get("lingered") is True:
        skip.add("exit")  # mostly uktrace's wait for a VMM that stayed after the halt (`figures`)
    for phase in phases:
        name = str(phase.get("name"))
        duration = _duration(phase.get("start"), phase.get("end"))
        if duration is not None and name not in skip:
            cell.add(name, duration, str(phase.get("clock", "host")), run)
    for name, (value, clock) in _figures(guest, phases).items():
        if isinstance(value, int | float) and (finished or name != "total"):
            cell.add(name, float(value), clock, run)


def cell_of(
    guests: Iterable[GuestJson], into: CellSamples | None = None, run: int = 0, run_each: bool = False
) -> CellSamples:
    """Guests into a cell, as run `run`, or each a run of its own (`run_each`: separate logs)."""
    cell = into if into is not None else CellSamples()
    for index, guest in enumerate(g for g in guests if isinstance(g, Mapping)):
        add_guest(cell, guest, run + index if run_each else run)
    return cell


def guest_priority(guest: Any) -> str | None:
    """How a guest's QEMU ran against uktrace (`launch.priority`), from its JSON's `host`; None
    where it does not say (a log, a run from before uktrace recorded it)."""
    host = guest.get("host") if isinstance(guest, Mapping) else None
    if not isinstance(host, Mapping) or "nice" not in host:
        return None
    if host.get("idle_policy"):
        return f"idle policy, nice {host['nice']}"
    if host.get("apart"):
        return "normal priority, a session apart"
    if host["nice"] is None:
        return "uktrace's priority, in its session"
    if "idle_policy" in host:
        return f"nice {host['nice']}"
    return f"nice {host['nice']}, a session group each"  # before the idle policy (format of then)


def priorities_of(guests: Iterable[Any]) -> frozenset[str]:
    return frozenset(found for found in map(guest_priority, guests) if found is not None)


def tracer_booting_of(run: Any) -> dict[str, Any] | None:
    """A run's `summary.tracer.booting` (`run --json`, a bench cell's `run`), its fields checked
    (`shapes.recording.TRACER_BOOTING`); None where it is missing or unsound."""
    summary = run.get("summary") if isinstance(run, Mapping) else None
    tracer = summary.get("tracer") if isinstance(summary, Mapping) else None
    booting = tracer.get("booting") if isinstance(tracer, Mapping) else None
    if booting is None:
        return None
    try:
        checked: dict[str, Any] = TRACER_BOOTING(booting)
        return checked
    except Bad:
        return None


def _shares(runs: Iterable[Any]) -> tuple[float, ...]:
    return tuple(booting["share"] for run in runs if (booting := tracer_booting_of(run)) is not None)


def bench_key(key: Key) -> str:
    """`n10-independent`, `n10-shared-virtiofs`, `n1-none-machine=q35` (the pooled cell's label:
    `bench_labels.fs_label` and a `--vary` configuration's tag); `n10` when the bench shared no
    directory."""
    concurrency, label = key
    return f"n{concurrency}" + (f"-{label.replace(' ', '-')}" if label else "")


def from_document(document: Any, source: str) -> Samples:
    """A parsed JSON input: a bench's results.json, `uktrace run --json` or `uktrace parse --json`."""
    if isinstance(document, Mapping) and document.get("kind") == "bench":
        cells: dict[str, CellSamples] = {}
        every: list[Any] = []
        for round_ in pool_results(document).rounds:
            if round_.guests:
                cell_of(round_.guests, cells.setdefault(bench_key(round_.key), CellSamples()), run=round_.index)
                every += round_.guests
        entries = document.get("cells")
        runs = (
            [entry.get("run") for entry in entries if isinstance(entry, Mapping)] if isinstance(entries, list) else []
        )
        return _checked(Samples(source, "bench", cells, summary_of_json(every), priorities_of(every), _shares(runs)))
    if isinstance(document, Mapping) and isinstance(document.get("guests"), list):
        kind = "run" if "summary" in document else "parse"
        guests = document["guests"]
        # `parse` reads separate logs: separate boots, each a run of its own
        cell = cell_of(guests, run_each=kind == "parse")
        samples = Samples(
            source,
            kind,
            {RUN_CELL: cell} if guests else {},
            summary_of_json(guests),
            priorities_of(guests),
            _shares([document]),
        )
        return _checked(samples)
    raise SamplesError(f"{source}: not uktrace's JSON (run --json, parse --json or a bench's results.json)")


def _checked(samples: Samples) -> Samples:
    if samples.guests == 0:
        raise SamplesError(f"{samples.source}: no guests to compare")
    return samples


def read_json(
    path: Path,
    source: str,
    error: type[Exception] = SamplesError,
    inside: Path | None = None,
    problems: list[str] | None = None,
) -> Any:
    """A JSON input in today's shape (`model.nesting.upgraded_document`), or `error` with one line
    for the user (compare and export read the same files): `path` as the user named it, or, with
    `inside`, a file of that directory (a bench's results.json: no link followed). Strings come
    back `shown` (control characters escaped); what was left out is said on stderr, or put in
    `problems` (a screen shows them its own way)."""
    try:
        data = read_file(inside, path.name, JSON_LIMIT) if inside is not None else read_named(path, JSON_LIMIT)
        document = upgraded_document(shown_json(load_json(data)))
    except FileNotFoundError:
        raise error(f"{source}: no such file or directory") from None
    except RefusedFile as problem:
        raise error(f"{source}: {problem}") from None
    except JsonError as problem:
        raise error(f"{source}: {problem}") from None
    except OSError as problem:
        raise error(f"{source}: cannot read ({problem.strerror or problem})") from None
    found: list[str] = []
    document = clean_input(document, source, found)
    found = [line.removeprefix(f"{source}: ") for line in found]
    if problems is None:
        tell(found, source)  # the rest is read
    else:
        problems += found
    return document


def replay(directory: Path, source: str) -> Samples:
    """A recording, replayed at once through today's parser: the `run --json` it would print."""
    try:
        fleet = ReplayFleet(directory, speed=0)
        anyio.run(fleet.run)
    except RecordingError as error:
        raise SamplesError(str(error)) from None
    except (OSError, ValueError, KeyError) as error:
        raise SamplesError(f"{source}: unreadable recording ({error})") from None
    tell(fleet.problems, source)
    return replace(from_document(fleet_results(fleet), source), kind="recording")


def load(path: Path) -> Samples:
    """A bench directory (results.json), a recording directory (session.json) or a JSON file."""
    source = str(path)
    if path.is_dir():
        if (path / "results.json").is_file():
            document = read_json(path / "results.json", source, inside=path)
            if not (isinstance(document, Mapping) and document.get("kind") == "bench"):
                raise SamplesError(f"{source}: results.json is not a uktrace bench's")
            return from_document(document, source)
        if (path / "session.json").is_file():
            return replay(path, source)
        raise SamplesError(f"{source}: neither a bench (results.json) nor a recording (session.json)")
    return from_document(read_json(path, source), source)
