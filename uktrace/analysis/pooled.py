"""A bench's guests per cell, rounds pooled: the one grouping its summary, report, plots and
`uktrace compare` read.

A cell is a concurrency and a filesystem (its mode, and its type unless 9P: `bench_labels`); each
round runs every cell once, and a figure
about a cell is about the guests of all its rounds. An entry of results.json's `cells` that is
not a cell with a run's guests (a truncated or hand-edited file) is left out, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .bench_labels import FS_TYPES, fs_label

Key = tuple[int, str]
"""(concurrency, filesystem label: `shared`, `shared virtiofs`): a cell without its round."""


@dataclass(frozen=True, slots=True)
class Round:
    """One round of one cell: that run's guests."""

    index: int
    """Its position in results.json's `cells` (the order the rounds ran in)."""
    key: Key
    guests: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PooledCell:
    """A cell's rounds, in the order they ran."""

    concurrency: int
    label: str
    """Its filesystem as every output names it (`bench_labels.fs_label`)."""
    rounds: tuple[Round, ...]
    fs_mode: str
    fs_type: str
    config: tuple[tuple[str, str], ...] = ()
    """The `--vary` axes' values it ran with (empty without `--vary`), `tag` their label."""
    tag: str = ""

    @property
    def guests(self) -> list[dict[str, Any]]:
        """Every round's guests, round after round."""
        return [guest for round_ in self.rounds for guest in round_.guests]


@dataclass(frozen=True, slots=True)
class Pool:
    """Every cell of a bench, rounds pooled."""

    cells: dict[Key, PooledCell]
    """By key, in (concurrency, fs mode) order."""
    rounds: tuple[Round, ...]
    """Every round of every cell, in the order they ran."""
    modes: tuple[str, ...]
    """The fs modes present: the plan's order, then any other sorted."""

    @property
    def concurrencies(self) -> tuple[int, ...]:
        return tuple(sorted({n for n, _ in self.cells}))

    def of(self, concurrency: int, mode: str) -> list[dict[str, Any]]:
        """The cell's guests, every round's; none for a cell the bench did not run."""
        cell = self.cells.get((concurrency, mode))
        return cell.guests if cell is not None else []


def pool_results(results: Mapping[str, Any]) -> Pool:
    """A bench's results.json (or what `Bench.results` builds), pooled per cell."""
    plan = results.get("plan")
    planned = plan.get("fs_modes") if isinstance(plan, Mapping) else None
    entries = results.get("cells")
    return pool_cells(entries if isinstance(entries, list) else [], planned if isinstance(planned, list) else ())


def pool_cells(entries: Sequence[Any], planned_modes: Iterable[Any] = ()) -> Pool:
    """results.json's `cells` pooled per cell; `planned_modes`: the plan's order of fs modes."""
    rounds = []
    kinds: dict[str, tuple[str, str, tuple[tuple[str, str], ...], str]] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            continue
        concurrency, mode, run = entry.get("concurrency"), entry.get("fs_mode"), entry.get("run")
        kind = entry.get("fs_type") or "9p"
        if not (
            isinstance(concurrency, int)
            and concurrency > 0
            and isinstance(mode, str)
            and isinstance(kind, str)
            and isinstance(run, Mapping)
        ):
            continue
        config = entry.get("config") or {}
        tag = entry.get("tag") or ""
        if not (isinstance(config, Mapping) and isinstance(tag, str)):
            continue
        label = cell_label(entry)
        kinds[label] = (mode, kind, tuple((str(k), str(v)) for k, v in config.items()), tag)
        rounds.append(Round(index, (concurrency, label), _dicts(run.get("guests"))))
    grouped: dict[Key, list[Round]] = {}
    for round_ in rounds:
        grouped.setdefault(round_.key, []).append(round_)
    cells = {}
    for key in sorted(grouped):
        mode, kind, config, tag = kinds[key[1]]
        cells[key] = PooledCell(key[0], key[1], tuple(grouped[key]), mode, kind, config, tag)
    seen = {mode for _, mode in cells}
    planned = [fs_label({"fs_mode": mode, "fs_type": kind}) for kind in FS_TYPES for mode in planned_modes]
    order = [mode for mode in planned if mode in seen]
    modes = (*dict.fromkeys(order), *sorted(seen - set(order)))
    return Pool(cells, tuple(rounds), modes)


def cell_label(entry: Mapping[str, Any]) -> str:
    """A cell's name without its size: its filesystem (`fs_label`), and a `--vary`
    configuration's tag after it (each configuration is a cell of its own)."""
    tag = entry.get("tag")
    return fs_label(entry) + (f" {tag}" if isinstance(tag, str) and tag else "")


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
