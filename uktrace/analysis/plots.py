"""The figures of `uktrace bench`, as SVG files: where the boot time goes as concurrency grows,
per fs mode.

Everything comes from the guests of each cell (`cells[].run.guests`, rounds pooled per
concurrency and fs mode), never from the bench's `summary`, with the tables' nearest-rank
percentiles, so a figure and a table always agree. Matplotlib draws on a bare `Figure` (no
pyplot, so no display and no global backend) under fixed rcParams: the same results give the
same SVG bytes. Older or partial results lose a figure, never raise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import NullLocator, PercentFormatter
from matplotlib.typing import LineStyleType, RcKeyType

from uktrace.parsers.phases import NESTED, PHASES

from ..model.json_input import GuestJson
from ..model.palette import phase_colour
from .cpu import PhaseCpu, cpu_shares
from .figures import FIGURES, SPANS, json_readings, median, percentile, uncounted
from .pooled import Pool, pool_results
from .stats import clock_label

MODE_COLOURS: dict[str, str] = {"independent": "#2563eb", "shared": "#dc2626"}
_MORE_MODE_COLOURS = ("#7c3aed", "#059669", "#d97706", "#0f172a")

STACKED = tuple(name for name in PHASES if name not in NESTED and name != "gate")
"""The phases a bar stacks: top-level ones (nested ones would count twice) without `gate`. The
gate wait is the harness holding a guest until its wave is ready, which `boot` and `total` leave
out too, so a bar adds up to the `total` the tables give; at 100 guests it would dwarf the boot
itself. `phase_scaling.svg` still shows it."""

SIZE = (10.0, 6.0)
STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "uktrace",
    "svg.fonttype": "none",
    "font.size": 9.0,
    "axes.titlesize": 9.0,
    "legend.fontsize": 8.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "axes.grid": True,
    "grid.color": "#e5e7eb",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.titley": 1.0,
}
"""Fixed ids (hash salt), text as text (searchable, no glyph paths), one look for every figure."""


@contextmanager
def style() -> Iterator[None]:
    """Build and save figures inside this, so rcParams neither leak out nor come in."""
    with matplotlib.rc_context(STYLE):
        yield


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _span(edges: object) -> float | None:
    if not isinstance(edges, dict):
        return None
    start, end = _number(edges.get("start")), _number(edges.get("end"))
    return None if start is None or end is None else end - start


def host_duration(phase: dict[str, Any]) -> float | None:
    """Seconds on the host clock: every top-level phase has one, and they tile spawn to exit."""
    if "host" in phase:
        return _span(phase["host"])
    return _span(phase) if phase.get("clock") == "host" else None


def phase_durations(guests: Iterable[GuestJson]) -> dict[str, tuple[list[float], set[str]]]:
    """Per phase, its durations on its own clock (the figure's clock) and the clocks seen, over
    the guests it counts for (`figures.readings`, as the tables)."""
    result: dict[str, tuple[list[float], set[str]]] = {}
    for guest in guests:
        for name, (seconds, clock) in json_readings(guest).items():
            if name not in SPANS:
                values, clocks = result.setdefault(name, ([], set()))
                values.append(seconds)
                clocks.add(clock)
    return result


def figure_values(guests: Iterable[GuestJson], figure: str) -> tuple[list[float], set[str]]:
    """A figure (boot, mount, main, ready, total) over the guests it counts for, and the clocks it
    was read on."""
    values: list[float] = []
    clocks: set[str] = set()
    for guest in guests:
        reading = json_readings(guest).get(figure)
        if reading is not None:
            values.append(reading[0])
            clocks.add(reading[1])
    return values, clocks


def stack_medians(guests: Sequence[GuestJson]) -> dict[str, float]:
    """Per stacked phase, the median host duration over the guests it counts for (as the tables do:
    `figures.uncounted`)."""
    durations: dict[str, list[float]] = {}
    for guest in guests:
        phases = _dicts(guest.get("phases"))
        skip = uncounted(str(guest.get("status")), [(str(p.get("name")), p.get("end")) for p in phases])
        for phase in phases:
            name, duration = phase.get("name"), host_duration(phase)
            if name in STACKED and name not in skip and duration is not None:
                durations.setdefault(name, []).append(duration)
    return {name: median(durations[name]) for name in STACKED if name in durations}


def phase_order(names: Iterable[str]) -> list[str]:
    """Boot order; a name the engine does not know yet goes last."""
    known = set(names)
    return [n for n in PHASES if n in known] + sorted(known - set(PHASES))


def mode_colour(pool: Pool, mode: str) -> str:
    others = [m for m in pool.modes if m not in MODE_COLOURS]
    return MODE_COLOURS.get(mode) or _MORE_MODE_COLOURS[others.index(mode) % len(_MORE_MODE_COLOURS)]


def phases_stacked_figure(pool: Pool) -> Figure | None:
    """One bar per (concurrency, fs mode), the median host duration of each top-level phase
    stacked in boot order, a tick at the cell's median total."""
    cells = [(c, m, pool.of(c, m)) for c in pool.concurrencies for m in pool.modes]
    medians = {(c, m): stack_medians(guests) for c, m, guests in cells}
    if not any(medians.values()):
        return None
    fig = Figure(figsize=SIZE, layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / len(pool.modes)
    drawn: set[str] = set()
    positions: list[float] = []
    for group, concurrency in enumerate(pool.concurrencies):
        for slot, mode in enumerate(pool.modes):
            x = group + (slot - (len(pool.modes) - 1) / 2) * width
            positions.append(x)
            bottom = 0.0
            for name, value in medians[(concurrency, mode)].items():
                (bar,) = ax.bar(
                    x, value, width * 0.9, bottom, color=phase_colour(name), edgecolor="#374151", linewidth=0.3
                )
                bar.set_gid(f"bar-{name}-n{concurrency}-{mode}")
                bottom += value
                drawn.add(name)
            totals, _ = figure_values(pool.of(concurrency, mode), "total")
            if totals:
                tick = ax.hlines(median(totals), x - width / 2, x + width / 2, colors="black", linewidth=1.6)
                tick.set_gid(f"total-n{concurrency}-{mode}")
    ax.set_xticks(positions, [m for _ in pool.concurrencies for m in pool.modes])
    groups = ax.secondary_xaxis("bottom")
    labels = [f"\n{c} guest{'s' if c > 1 else ''}" for c in pool.concurrencies]
    groups.set_xticks(range(len(pool.concurrencies)), labels)
    groups.tick_params(length=0, pad=12, labelsize=9)
    groups.spines["bottom"].set_visible(False)
    ax.grid(axis="x", visible=False)
    ax.set_xlim(-0.6, len(pool.concurrencies) - 0.4)
    ax.set_ylabel("seconds (host clock, median per phase)")
    groups.set_xlabel("concurrency (guests booted at once) and fs mode, rounds pooled")
    ax.set_title("Where the time goes: spawn to exit, gate wait left out (as in boot and total)")
    handles: list[Patch | Line2D] = [
        Patch(facecolor=phase_colour(n), edgecolor="#374151", linewidth=0.3, label=n)
        for n in reversed(phase_order(drawn))
    ]
    handles.append(Line2D([], [], color="black", linewidth=1.6, label="median total"))
    fig.legend(handles=handles, loc="outside right upper", title="phase (top to bottom)")
    return fig


def total_cdf_figure(pool: Pool) -> Figure | None:
    """Per fs mode, the distribution of the per-guest total, one line per concurrency."""
    totals = {(c, m): figure_values(pool.of(c, m), "total")[0] for c in pool.concurrencies for m in pool.modes}
    known = [v for values in totals.values() for v in values if v > 0]
    if not known:
        return None
    fig = Figure(figsize=SIZE, layout="constrained")
    axes = fig.subplots(1, len(pool.modes), sharex=True, sharey=True, squeeze=False)[0]
    log = max(known) / min(known) > 20
    colours = _sequential(len(pool.concurrencies))
    for ax, mode in zip(axes, pool.modes, strict=True):
        for concurrency, colour in zip(pool.concurrencies, colours, strict=True):
            values = [v for v in totals[(concurrency, mode)] if v > 0 or not log]
            if values:
                line = ax.ecdf(values, color=colour, linewidth=1.6, label=f"{concurrency} at once ({len(values)})")
                line.set_gid(f"cdf-{mode}-n{concurrency}")
        ax.set_title(f"fs mode: {mode}")
        ax.set_xlabel("total per guest, s (host clock, gate wait left out)" + (", log scale" if log else ""))
        if log:
            ax.set_xscale("log")
        ax.legend(title="concurrency (guests)", loc="lower right")
    axes[0].set_ylabel("fraction of guests")
    axes[0].set_ylim(0, 1.02)
    fig.suptitle("Total per guest (spawn to exit): cumulative distribution per concurrency")
    return fig


def _sequential(count: int) -> list[tuple[float, float, float, float]]:
    """Dark to light for low to high concurrency, without viridis' pale yellow end."""
    cmap = matplotlib.colormaps["viridis"]
    return [cmap(0.85 * i / (count - 1)) if count > 1 else cmap(0.0) for i in range(count)]


def _grid(fig: Figure, groups: Sequence[int], columns: int) -> list[Axes]:
    """Axes for `groups` panels in turn, each group starting a row (phases, then the figures)."""
    rows = sum(math.ceil(count / columns) for count in groups)
    grid = [ax for row in fig.subplots(rows, columns, sharex=True, squeeze=False) for ax in row]
    used: list[Axes] = []
    start = 0
    for count in groups:
        used += grid[start : start + count]
        start += math.ceil(count / columns) * columns
    for ax in grid:
        ax.set_visible(ax in used)
    return used


def _height(groups: Sequence[int], columns: int) -> float:
    """Inches: room for the title and legend, and 2 per row of panels."""
    return 1.6 + 2.0 * sum(math.ceil(count / columns) for count in groups)


def _concurrency_axis(ax: Axes, pool: Pool) -> None:
    """Log scale, a tick at each concurrency the bench ran, slanted: 50 and 100 sit close."""
    ax.set_xscale("log")
    ax.set_xticks(pool.concurrencies, [str(c) for c in pool.concurrencies])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.tick_params(axis="x", labelrotation=45)


def mode_width(pool: Pool, mode: str) -> float:
    """Thinner for each later mode, so one drawn over an earlier one with the same values leaves it visible."""
    return max(0.8, 2.6 - 1.2 * pool.modes.index(mode))


def _mode_legend(fig: Figure, pool: Pool, styles: Sequence[tuple[LineStyleType, str]]) -> None:
    handles = [Line2D([], [], color=mode_colour(pool, m), linewidth=mode_width(pool, m), label=m) for m in pool.modes]
    handles += [Line2D([], [], color="#374151", linestyle=ls, label=label) for ls, label in styles]
    fig.legend(handles=handles, loc="outside right upper", title="fs mode")


def phase_scaling_figure(pool: Pool) -> Figure | None:
    """Small multiples: each phase's and each figure's p50 and p95 against concurrency, per fs mode,
    each on the clock it was read on (the title says which)."""
    cells = {(c, m): phase_durations(pool.of(c, m)) for c in pool.concurrencies for m in pool.modes}
    phases: dict[str, dict[tuple[int, str], list[float]]] = {}
    clocks: dict[str, set[str]] = {}
    for name in phase_order(n for durations in cells.values() for n in durations):
        for key, durations in cells.items():
            values, seen = durations.get(name, ([], set()))
            phases.setdefault(name, {})[key] = values
            clocks.setdefault(name, set()).update(seen)
    # `times.mount` and `times.main` are their phases' durations again, but the tables list the
    # four figures together, so they get a row of their own, named apart from the phases
    figures: dict[str, dict[tuple[int, str], list[float]]] = {}
    for figure in FIGURES:
        for key in cells:
            values, seen = figure_values(pool.of(*key), figure)
            figures.setdefault(f"times.{figure}", {})[key] = values
            clocks.setdefault(f"times.{figure}", set()).update(seen)
    figures = {name: by_cell for name, by_cell in figures.items() if any(by_cell.values())}
    if not phases and not figures:
        return None
    groups, columns = (len(phases), len(figures)), min(7, max(4, math.ceil(len(phases) / 2)))
    fig = Figure(figsize=(12.0, _height(groups, columns)), layout="constrained")
    panels = phases | figures
    for ax, (name, by_cell) in zip(_grid(fig, groups, columns), panels.items(), strict=True):
        for mode in pool.modes:
            colour, width = mode_colour(pool, mode), mode_width(pool, mode)
            xs = [c for c in pool.concurrencies if by_cell[(c, mode)]]
            for fraction, linestyle in ((0.5, "-"), (0.95, "--")):
                ys = [percentile(sorted(by_cell[(c, mode)]), fraction) * 1e3 for c in xs]
                (line,) = ax.plot(xs, ys, linestyle, color=colour, linewidth=width, marker="o", markersize=3)
                line.set_gid(f"scaling-{name}-{mode}-p{round(fraction * 100)}")
        # the clock on a line of its own: "subsystems (guest+host)" is wider than a panel
        ax.set_title(f"{name}\n{clock_label(clocks[name]) or 'unknown'} clock", fontsize=8.5, linespacing=1.1)
        ax.set_ylim(bottom=0)
        _concurrency_axis(ax, pool)
    fig.supxlabel("concurrency (guests booted at once, log scale)")
    fig.supylabel("ms, per guest (clock in each title)")
    _mode_legend(fig, pool, (("-", "p50"), ("--", "p95")))
    fig.suptitle("Each phase and figure against concurrency: p50 and p95 over guests, rounds pooled")
    return fig


def guest_cpu(guest: GuestJson) -> dict[str, PhaseCpu]:
    """A guest's `cpu` dict back as `PhaseCpu`, entries without wall or CPU seconds dropped."""
    cpu = guest.get("cpu")
    result: dict[str, PhaseCpu] = {}
    for name, usage in cpu.items() if isinstance(cpu, dict) else ():
        wall, used = (_number(usage.get(k)) if isinstance(usage, dict) else None for k in ("wall_s", "cpu_s"))
        if wall is not None and used is not None:
            result[str(name)] = PhaseCpu(wall, used, _number(usage.get("wait_s")))
    return result


def cpu_wait_figure(pool: Pool) -> Figure | None:
    """Per phase, the share of QEMU's runnable time spent queued for a CPU (`cpu.CpuShare`, summed
    over the cell's guests) against concurrency, one line per fs mode."""
    shares: dict[str, dict[tuple[int, str], float]] = {}
    for concurrency in pool.concurrencies:
        for mode in pool.modes:
            for name, share in cpu_shares(guest_cpu(g) for g in pool.of(concurrency, mode)).items():
                # at the gate QEMU is paused by us: there is nothing to queue for
                if share.wait_share is not None and name != "gate":
                    shares.setdefault(name, {})[(concurrency, mode)] = share.wait_share
    if not shares:
        return None
    names = phase_order(shares)
    columns = min(6, max(3, math.ceil(len(names) / 2)))
    fig = Figure(figsize=(12.0, _height([len(names)], columns)), layout="constrained")
    for ax, name in zip(_grid(fig, [len(names)], columns), names, strict=True):
        for mode in pool.modes:
            colour, width = mode_colour(pool, mode), mode_width(pool, mode)
            xs = [c for c in pool.concurrencies if (c, mode) in shares[name]]
            if xs:
                ys = [shares[name][(c, mode)] for c in xs]
                (line,) = ax.plot(xs, ys, color=colour, linewidth=width, marker="o", markersize=3)
                line.set_gid(f"cpuwait-{name}-{mode}")
        ax.set_title(name, fontsize=8.5)
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        _concurrency_axis(ax, pool)
    fig.supxlabel("concurrency (guests booted at once, log scale)")
    fig.supylabel("CPU wait share = wait / (CPU + wait)")
    _mode_legend(fig, pool, ())
    fig.suptitle(
        "Where guests queue for a CPU in a boot storm: QEMU's thread-seconds per phase (host clock), summed over guests"
    )
    return fig


PLOTS: tuple[tuple[str, Callable[[Pool], Figure | None]], ...] = (
    ("phases_stacked.svg", phases_stacked_figure),
    ("total_cdf.svg", total_cdf_figure),
    ("phase_scaling.svg", phase_scaling_figure),
    ("cpu_wait.svg", cpu_wait_figure),
)
"""File name and builder of every figure; a builder returns None when the data cannot make it."""


def write_plots(results: dict[str, Any], out: Path) -> list[Path]:
    """Every figure the results can make, as `out/<name>.svg`; the paths written, in `PLOTS` order."""
    cells = pool_results(results)
    written: list[Path] = []
    with style():
        for name, build in PLOTS:
            fig = build(cells)
            if fig is None:
                continue
            out.mkdir(parents=True, exist_ok=True)
            path = out / name
            # no date in the metadata: the same results give the same bytes
            fig.savefig(path, format="svg", metadata={"Date": None})
            written.append(path)
    return written
