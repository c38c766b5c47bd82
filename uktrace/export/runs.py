"""The inputs of `uktrace export` as runs of guests in the `uktrace run --json` shape.

A recording is replayed at once through today's parser (as `compare` does), so an export shows
what `uktrace replay` shows; a bench directory is one run per cell (each cell was a run); console
logs given together are one run, as `uktrace parse --json` prints them; a JSON file saved from
`run --json`, `parse --json` or a bench's results.json is read as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio

from ..analysis.results import fleet_results
from ..analysis.samples import read_json
from ..model.json_input import GuestJson
from ..model.json_shape import timeline_dict
from ..recording.files import inside
from ..recording.logs import LogError, trace_log
from ..recording.reader import read_session, tell
from ..recording.record import RecordingError
from ..recording.replay import ReplayFleet


class ExportError(Exception):
    """An input or a request an export cannot serve; the message is one line for the user."""


@dataclass(frozen=True)
class Run:
    """Guests booted together (or logs read together), and where their consoles are."""

    name: str
    document: dict[str, Any]
    """The `run --json` (or `parse --json`) object: `guests`, and `summary` for a run."""
    recording: Path | None = None
    """The recording directory (each guest's console in `<recording>/<guest>/`), when there is one."""
    started: float | None = None
    """Epoch seconds at which the run started, when known."""
    cell: Mapping[str, Any] | None = None
    """A bench cell's `id`, `concurrency`, `fs_mode` and `round`; None for a run that is not one."""

    @property
    def guests(self) -> list[GuestJson]:
        return [g for g in self.document.get("guests") or [] if isinstance(g, dict)]

    def only(self, guest: str) -> Run:
        """The same run with one guest: `--guest NAME`."""
        kept = [g for g in self.guests if g.get("name") == guest]
        return replace(self, document=self.document | {"guests": kept})


def load_runs(paths: Sequence[Path]) -> list[Run]:
    """Every input as runs, in the order given; the logs among them as one run, where the first was."""
    runs: list[Run | None] = []
    logs: list[GuestJson] = []
    log_names: list[str] = []
    for path in paths:
        if path.is_dir():
            runs.extend(_directory(path))
        elif _looks_like_json(path):
            runs.extend(_json_file(path))
        else:
            if not logs:
                runs.append(None)  # the logs' place in the order
            logs.append(_log(path))
            log_names.append(path.name)
    name = log_names[0] if len(log_names) == 1 else f"{len(log_names)} console logs"
    return [run if run is not None else Run(name, {"guests": logs}) for run in runs]


def _directory(path: Path) -> list[Run]:
    if (path / "results.json").is_file():
        document = read_json(path / "results.json", str(path), ExportError, inside=path)
        if not (isinstance(document, Mapping) and document.get("kind") == "bench"):
            raise ExportError(f"{path}: results.json is not a uktrace bench's")
        return bench_runs(document, path)
    if (path / "session.json").is_file():
        return [replay(path)]
    raise ExportError(f"{path}: neither a recording (session.json) nor a bench (results.json)")


def replay(directory: Path) -> Run:
    """A recording replayed at speed 0: the `run --json` object its live run would print today."""
    try:
        fleet = ReplayFleet(directory, speed=0)
        anyio.run(fleet.run)
    except RecordingError as error:
        raise ExportError(str(error)) from None
    except (OSError, ValueError, KeyError) as error:
        raise ExportError(f"{directory}: unreadable recording ({error})") from None
    tell(fleet.problems, str(directory))
    return Run(_name(directory), dict(fleet_results(fleet)), directory, session_started(directory))


def session_started(directory: Path) -> float | None:
    """The recording's start (session.json `started`, epoch seconds), None when unreadable."""
    try:
        started = read_session(directory).document.get("started")
    except RecordingError:
        return None
    return float(started) if started is not None else None


def bench_runs(document: Mapping[str, Any], directory: Path | None) -> list[Run]:
    """One run per cell that has guests, named by the cell's id, in the order the cells ran."""
    runs = []
    for index, cell in enumerate(document.get("cells") or [], 1):
        run = cell.get("run") if isinstance(cell, Mapping) else None
        if not (isinstance(run, dict) and isinstance(run.get("guests"), list) and run["guests"]):
            continue
        where = _cell_recording(directory, cell.get("recording"))
        name = str(cell.get("id") or f"cell {index}")
        fields = {k: cell.get(k) for k in ("id", "concurrency", "fs_mode", "round")}
        if where is not None:
            runs.append(Run(name, run, where, session_started(where), fields))
        else:
            runs.append(Run(name, run, cell=fields))
    if not runs:
        raise ExportError(f"{directory or 'results.json'}: the bench holds no cell with guests")
    return runs


def _cell_recording(directory: Path | None, recording: object) -> Path | None:
    """A bench cell's recording, when it is a directory inside the bench (never a path leading out)."""
    if directory is None or recording is None:
        return None
    try:
        return inside(directory, recording, "the cell's recording")
    except RecordingError:
        return None


def _json_file(path: Path) -> list[Run]:
    document = _read_json(path)
    if isinstance(document, Mapping) and document.get("kind") == "bench":
        return bench_runs(document, path.parent)
    if isinstance(document, dict) and isinstance(document.get("guests"), list):
        return [Run(path.stem, document)]
    raise ExportError(f"{path}: not uktrace's JSON (run --json, parse --json or a bench's results.json)")


def _log(path: Path) -> GuestJson:
    try:
        return dict(timeline_dict(trace_log(path)))
    except LogError as error:
        raise ExportError(str(error)) from None


def _looks_like_json(path: Path) -> bool:
    """A `.json` file, or one whose first byte opens an object (a console log never starts so)."""
    if path.suffix == ".json":
        return True
    try:
        with path.open("rb") as file:
            return file.read(1) == b"{"
    except OSError:
        return False  # reading it as a log says why


def _read_json(path: Path) -> Any:
    return read_json(path, str(path), ExportError)


def _name(directory: Path) -> str:
    return directory.resolve().name or str(directory)


def one_run(runs: Sequence[Run], what: str) -> Run:
    """The single run a one-run format needs, or a message that says how to pick one."""
    if len(runs) == 1:
        return runs[0]
    names = ", ".join(run.name for run in runs[:3]) + (", ..." if len(runs) > 3 else "")
    raise ExportError(
        f"{what} holds one run, the inputs hold {len(runs)} ({names}): "
        "export one recording (a bench's cells are in DIR/cells/)"
    )


def select_guest(runs: Sequence[Run], guest: str) -> list[Run]:
    """`--guest NAME`: every run cut down to that guest; runs without it are dropped."""
    kept = [run.only(guest) for run in runs if any(g.get("name") == guest for g in run.guests)]
    if not kept:
        names = sorted({str(g.get("name")) for run in runs for g in run.guests})
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise ExportError(f"no guest named {guest!r} (there are: {shown})")
    return kept
