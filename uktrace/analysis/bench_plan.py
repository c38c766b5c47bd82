"""`uktrace bench`'s plan: the cells (N guests at once, a filesystem mode and type, a configuration
of the `--vary` axes, a round) and the seeded order they run in.

Cells run R rounds in an interleaved order shuffled with a seed, after one unrecorded warm-up
cell: slow drift of the host (caches, thermal, a neighbour) then hits every cell alike instead of
the cells that happened to run last. With the observer check each cell's traced, unobserved and
unobserved-beside-a-waker runs follow one another (`BenchPlan.order`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..launch.axes import Axis, Config, apply, config_label, configs, one_at_a_time
from ..launch.options import LaunchError, RunOptions
from .bench_labels import FS_TYPES, fs_label
from .compare import MIN_GUESTS

if TYPE_CHECKING:
    from ..model.shapes import bench as bench_shape

FS_MODES = ("independent", "shared")
NO_SHARE = "none"
"""The fs mode of a bench that shares no directory (`--vary` and `--what-if` without `--fs`)."""


@dataclass(frozen=True, slots=True)
class CellRound:
    """N guests at once in one filesystem mode, one round."""

    concurrency: int
    fs_mode: str
    round: int
    observed: bool = True
    """False: the same guests run unobserved, for the observer check (`analysis.observer`)."""
    fs_type: str = "9p"
    """`9p` or `virtiofs` (`--fs-type`); a 9P cell keeps the name it had before VirtioFS."""
    config: Config = ()
    """The `--vary` axes' values this cell runs with (empty without `--vary`)."""
    tag: str = ""
    """The configuration's labels for the cell's id (`config_tag`)."""
    waker: bool = False
    """Unobserved beside a thread that only wakes up (`launch.waker`): uktrace's wake-ups without
    its work, the observer check's third side."""

    @property
    def fs(self) -> str:
        """The filesystem as cells, reports and plots name it (`fs_label`)."""
        return fs_label({"fs_mode": self.fs_mode, "fs_type": self.fs_type})

    @property
    def id(self) -> str:
        tag = f"-{self.tag}" if self.tag else ""
        fs = self.fs.replace(" ", "-")
        side = "" if self.observed else "-unobserved" + ("-waker" if self.waker else "")
        return f"n{self.concurrency}-{fs}{tag}-r{self.round}{side}"

    @property
    def key(self) -> tuple[int, str, Config]:
        """The cell without its round: rounds of one key are pooled."""
        return self.concurrency, self.fs, self.config


def config_tag(config: Config, axes: Sequence[Axis]) -> str:
    """`machine=q35-bios=qboot`: a configuration in a cell's id (and directory name)."""
    return config_label(config, axes).replace(" ", "-") if config else ""


@dataclass(frozen=True)
class BenchPlan:
    concurrency: tuple[int, ...]
    fs_modes: tuple[str, ...]
    repeat: int
    seed: int
    fs_types: tuple[str, ...] = ("9p",)
    warmup: bool = True
    cooldown_s: float = 1.0
    """Pause between cells, so the previous cell's QEMUs are gone and the host settles."""
    observer_check: bool = False
    """Each cell also runs unobserved, in the same rounds (`analysis.observer`)."""
    axes: tuple[Axis, ...] = ()
    """`--vary`: launch options varied, each value crossed with every cell (`launch.axes`)."""
    design: str = "product"
    """`product`: every combination of the axes' values; `one at a time`: the baseline and each
    other value alone (`--what-if`)."""

    def thin_checks(self) -> dict[int, int]:
        """The concurrencies whose observer-check sides hold fewer guests than compare needs for an
        interval (`compare.MIN_GUESTS` a side over every round), each with the rounds that would
        give one: their in-guest figures can only read `can't tell`, whatever the guests do (1
        guest at the default 3 rounds)."""
        if not self.observer_check:
            return {}
        return {n: -(-MIN_GUESTS // n) for n in self.concurrency if n * self.repeat < MIN_GUESTS}

    def configs(self) -> list[Config]:
        """The configurations each (concurrency, fs mode) runs, the baseline first."""
        if not self.axes:
            return [()]
        return one_at_a_time(self.axes) if self.design == "one at a time" else configs(self.axes)

    def order(self) -> list[CellRound]:
        """Every round holds every cell once, each round shuffled with the seed. With the observer
        check a cell's runs are triplets, run one right after the other: traced, unobserved, and
        unobserved beside a thread that only wakes up (`launch.waker`); which goes first turns from
        round to round (where each cell starts is drawn), so that the host's drift and the
        after-effects of the cell before (a larger one's exit, memory given back, caches) fall on
        every side alike. Shuffled apart as separate cells, a cell's two runs were up to six cells
        away from each other, and one side came first in most rounds as often as not."""
        rng = random.Random(self.seed)
        cells: list[CellRound] = []
        tagged = [(config, config_tag(config, self.axes)) for config in self.configs()]
        keys = [
            (n, mode, fs_type, config, tag)
            for n in self.concurrency
            for mode in self.fs_modes
            for fs_type in self.fs_types
            for config, tag in tagged
        ]
        turns = random.Random(f"{self.seed} sides")  # apart: the traced cells' order is the same without the check
        starts = [turns.randrange(3) for _ in keys]
        for round_ in range(1, self.repeat + 1):
            block = list(enumerate(keys))
            rng.shuffle(block)
            for index, (n, mode, fs_type, config, tag) in block:
                traced = CellRound(n, mode, round_, True, fs_type, config, tag)
                if not self.observer_check:
                    cells.append(traced)
                    continue
                sides = [traced, replace(traced, observed=False), replace(traced, observed=False, waker=True)]
                first = (starts[index] + round_) % len(sides)
                cells += sides[first:] + sides[:first]
        return cells

    def warmup_cell(self) -> CellRound | None:
        baseline = self.configs()[0]
        first = CellRound(min(self.concurrency), self.fs_modes[0], 0, True, self.fs_types[0], baseline)
        return first if self.warmup else None

    def as_dict(self) -> bench_shape.Schedule:
        warmup = self.warmup_cell()
        schedule: bench_shape.Schedule = {
            "concurrency": list(self.concurrency),
            "fs_modes": list(self.fs_modes),
            "fs_types": list(self.fs_types),
            "repeat": self.repeat,
            "seed": self.seed,
            "warmup": None
            if warmup is None
            else {"concurrency": warmup.concurrency, "fs_mode": warmup.fs_mode, "fs_type": warmup.fs_type},
            "cooldown_s": self.cooldown_s,
            "observer_check": self.observer_check,
            "order": [cell.id for cell in self.order()],
        }
        if self.axes:
            schedule["axes"] = [axis.as_dict() for axis in self.axes]
            schedule["design"] = self.design
            schedule["configs"] = len(self.configs())
        return schedule


def parse_concurrency(text: str) -> tuple[int, ...]:
    """`1,10,50,100` → (1, 10, 50, 100); raises LaunchError for anything else."""
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise LaunchError(f"--concurrency {text}: a comma-separated list of guest counts (e.g. 1,10,50,100)") from None
    if not values or any(v < 1 for v in values):
        raise LaunchError(f"--concurrency {text}: every count must be at least 1")
    return tuple(sorted(set(values)))


def parse_fs_types(text: str) -> tuple[str, ...]:
    """`9p,virtiofs` → ("9p", "virtiofs"); raises LaunchError for anything else."""
    types = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not types or [t for t in types if t not in FS_TYPES]:
        raise LaunchError(f"--fs-type {text}: choose from 9p, virtiofs (comma-separated)")
    return types


def parse_fs_modes(text: str) -> tuple[str, ...]:
    modes = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [mode for mode in modes if mode not in FS_MODES]
    if not modes or unknown:
        raise LaunchError(f"--fs-mode {text}: choose from independent, shared (comma-separated)")
    return modes


def cell_options(options: RunOptions, cell: CellRound) -> RunOptions:
    """The run options of one cell: its guest count, fs mode (no share for `none`) and axes' values."""
    fs = None if cell.fs_mode == NO_SHARE else options.fs
    cell_options_ = replace(
        options, count=cell.concurrency, jobs=None, fs=fs, fs_mode=cell.fs_mode, fs_type=cell.fs_type
    )
    return apply(cell_options_, cell.config)
