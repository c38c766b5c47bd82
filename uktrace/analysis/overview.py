"""What a recording's row on the home screen says beyond its listing: the Unikraft release, the
total p50, and the samples a comparison needs.

`inventory` lists recordings from their small JSON files alone (fast, for hundreds of them). The
total and the release seen on the console need the boot timelines, so a run is replayed at once
through today's parser, the same path as `uktrace compare` and `replay --json` take (one formula
per figure); a bench already holds every cell's `run --json` in its results.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio

from uktrace.parsers import UnikraftVersion

from ..recording.inventory import Recording
from ..recording.record import RecordingError
from ..recording.replay import ReplayFleet
from .results import fleet_results
from .samples import Samples, SamplesError, from_document, read_json


@dataclass(frozen=True, slots=True)
class Digest:
    """A recording, read through: what the home screen shows and compares."""

    unikraft: str | None
    """`0.17.0 (Calypso)`; `0.10.0, 0.17.0` when guests differ; None when no guest said."""
    total_p50: float | None
    """Seconds: a run's p50 of `total` over its guests (host clock), as `uktrace run` prints it."""
    total_range: tuple[float, float] | None
    """A bench: the lowest and highest of its cells' total p50s (cells differ by design)."""
    samples: Samples | None
    """Per cell, per phase and figure, every guest's seconds: compare's input."""
    problem: str | None = None
    """Why the recording could not be read through (the row still lists it)."""


def digest(recording: Recording) -> Digest:
    """Read `recording` through; a recording that cannot be becomes a Digest with its `problem`."""
    try:
        if recording.kind == "bench":
            return _bench(recording.path)
        return _run(recording.path)
    except (SamplesError, RecordingError) as error:
        return Digest(None, None, None, None, str(error))
    except (OSError, ValueError, KeyError) as error:
        return Digest(None, None, None, None, f"{recording.path}: unreadable ({error})")


def _run(path: Path) -> Digest:
    fleet = ReplayFleet(path, speed=0, symbols=False)  # a row names no crash: no kernel read, no hash
    anyio.run(fleet.run)
    document = fleet_results(fleet)
    total = _mapping(_mapping(document["summary"].get("times")).get("total"))
    images = [_release(_mapping(recorded.meta.get("kernel_image")).get("unikraft")) for recorded in fleet.recorded]
    seen = [_release(g.get("unikraft")) for g in document["guests"]]
    samples = _samples(document, str(path), "recording")
    return Digest(_releases(images) or _releases(seen), _seconds(total.get("p50")), None, samples)


def _bench(path: Path) -> Digest:
    document = read_json(path / "results.json", str(path), inside=path, problems=[])  # a screen: nothing on stderr
    runs = [_mapping(_mapping(cell).get("run")) for cell in document.get("cells") or []]
    p50s = [p for run in runs if (p := _seconds(_total(run).get("p50"))) is not None]
    guests = [g for run in runs for g in run.get("guests") or [] if isinstance(g, Mapping)]
    span = (min(p50s), max(p50s)) if p50s else None
    return Digest(_releases(_release(g.get("unikraft")) for g in guests), None, span, _samples(document, str(path)))


def _samples(document: Any, source: str, kind: str | None = None) -> Samples | None:
    try:
        samples = from_document(document, source)
    except SamplesError:
        return None  # no guest to compare: the row still shows what it can
    return replace(samples, kind=kind) if kind else samples


def _total(run: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(_mapping(_mapping(run.get("summary")).get("times")).get("total"))


def _release(value: object) -> str | None:
    """`0.17.0 (Calypso)` from a `{version, codename, sha}` object (or a plain string)."""
    if isinstance(value, str):
        return value or None
    version = _mapping(value).get("version")
    if not isinstance(version, str):
        return None
    codename = _mapping(value).get("codename")
    return UnikraftVersion(version, codename if isinstance(codename, str) else "").release


def _releases(values: Iterable[str | None]) -> str | None:
    known = sorted({v for v in values if v})
    return ", ".join(known) if known else None


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
