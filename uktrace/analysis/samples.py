"""Inputs of `uktrace compare` as samples: per cell (a bench's concurrency and fs mode, or one run),
per metric, the seconds each guest took, and the clock(s) they were read on.

Metrics are the phases and the figures `boot` and `total`; the figures `mount`, `main` and `ready`
are those phases' rows. What each spans and which guests' values count (a failed guest's
measurements before it stopped, not the phase it stopped in) is `figures.readings`, the same
rule as every table's p50: compare's medians are the tables' p50s.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio

from uktrace.parsers.phases import PHASES

from ..recording.record import RecordingError
from ..recording.replay import ReplayFleet
from .figures import SPANS, json_readings
from .guest_clock import ClockSummary, summary_of_json
from .results import fleet_results

METRICS = (*PHASES, *SPANS)
"""Metrics in the order tables show them: the phases in boot order, then the figures."""

RUN_CELL = "run"
"""The cell of an input that is one run (a recording, `run --json`, `parse --json`)."""

Guest = Mapping[str, Any]


class SamplesError(Exception):
    """An input compare cannot use (missing, unreadable, not uktrace's, no guest): one line for the user."""


@dataclass
class Cell:
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
    cells: dict[str, Cell]
    clocks: ClockSummary | None = None
    """The guests' own clocks (`analysis.guest_clock`); None for JSON from before uktrace checked them."""
    priorities: frozenset[str] = frozenset()
    """How its QEMUs ran against uktrace (`guest_priority`); empty where the input does not say."""

    @property
    def guests(self) -> int:
        return sum(cell.guests for cell in self.cells.values())


def guest_status(guest: Guest) -> str:
    """`exited`, `exited (N)` for a non-zero exit code, or the failure status."""
    status = str(guest.get("status", "?"))
    code = guest.get("exit_code")
    return f"exited ({code})" if status == "exited" and code not in (None, 0) else status


def add_guest(cell: Cell, guest: Guest, run: int = 0) -> None:
    """One guest's readings (`figures.json_readings`: what counts across guests) into `cell`."""
    cell.statuses[guest_status(guest)] += 1
    for name, (seconds, clock) in json_readings(guest).items():
        cell.add(name, seconds, clock, run)


def cell_of(guests: Iterable[Guest], into: Cell | None = None, run: int = 0, run_each: bool = False) -> Cell:
    """Guests into a cell, as run `run`, or each a run of its own (`run_each`: separate logs)."""
    cell = into if into is not None else Cell()
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


def bench_key(entry: Guest) -> str:
    """`n10-independent`; `n10` when the bench shared no directory."""
    fs_mode = entry.get("fs_mode")
    return f"n{entry.get('concurrency')}" + (f"-{fs_mode}" if fs_mode else "")


def from_document(document: Any, source: str) -> Samples:
    """A parsed JSON input: a bench's results.json, `uktrace run --json` or `uktrace parse --json`."""
    if isinstance(document, Mapping) and document.get("kind") == "bench":
        cells: dict[str, Cell] = {}
        every: list[Any] = []
        for round_index, entry in enumerate(document.get("cells") or []):
            results = entry.get("run") if isinstance(entry, Mapping) else None
            guests = results.get("guests") if isinstance(results, Mapping) else None
            if isinstance(guests, list) and guests:
                cell_of(guests, cells.setdefault(bench_key(entry), Cell()), run=round_index)
                every += guests
        return _checked(Samples(source, "bench", cells, summary_of_json(every), priorities_of(every)))
    if isinstance(document, Mapping) and isinstance(document.get("guests"), list):
        kind = "run" if "summary" in document else "parse"
        guests = document["guests"]
        # `parse` reads separate logs: separate boots, each a run of its own
        cell = cell_of(guests, run_each=kind == "parse")
        samples = Samples(
            source, kind, {RUN_CELL: cell} if guests else {}, summary_of_json(guests), priorities_of(guests)
        )
        return _checked(samples)
    raise SamplesError(f"{source}: not uktrace's JSON (run --json, parse --json or a bench's results.json)")


def _checked(samples: Samples) -> Samples:
    if samples.guests == 0:
        raise SamplesError(f"{samples.source}: no guests to compare")
    return samples


def read_json(path: Path, source: str, error: type[Exception] = SamplesError) -> Any:
    """A JSON input, or `error` with one line for the user (compare and export read the same files)."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise error(f"{source}: no such file or directory") from None
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{source}: cannot read ({getattr(problem, 'strerror', None) or problem})") from None
    except ValueError as problem:
        raise error(f"{source}: not valid JSON ({problem})") from None


def replay(directory: Path, source: str) -> Samples:
    """A recording, replayed at once through today's parser: the `run --json` it would print."""
    try:
        fleet = ReplayFleet(directory, speed=0)
        anyio.run(fleet.run)
    except RecordingError as error:
        raise SamplesError(str(error)) from None
    except (OSError, ValueError, KeyError) as error:
        raise SamplesError(f"{source}: unreadable recording ({error})") from None
    return replace(from_document(fleet_results(fleet), source), kind="recording")


def load(path: Path) -> Samples:
    """A bench directory (results.json), a recording directory (session.json) or a JSON file."""
    source = str(path)
    if path.is_dir():
        if (path / "results.json").is_file():
            document = read_json(path / "results.json", source)
            if not (isinstance(document, Mapping) and document.get("kind") == "bench"):
                raise SamplesError(f"{source}: results.json is not a uktrace bench's")
            return from_document(document, source)
        if (path / "session.json").is_file():
            return replay(path, source)
        raise SamplesError(f"{source}: neither a bench (results.json) nor a recording (session.json)")
    return from_document(read_json(path, source), source)
