"""The what-if report's figures: per axis, where each configuration's boot goes (stacked phase
medians), and for an axis of Unikraft releases, each phase across them with its interval.

Drawn as the bench's other plots are (`plots.style`: bare matplotlib `Figure`, fixed rcParams, the
same results give the same SVG bytes), from the guests of each configuration, rounds pooled, with
the tables' nearest-rank medians; a phase a guest's figures do not count (`figures.json_readings`:
a failure's last phase, the `exit` of a VMM uktrace had to end) is left out of its bar, as of the
tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..launch.axes import Axis, Config, config_label
from ..model.json_input import GuestJson
from ..model.palette import phase_colour
from .figures import json_readings, median
from .plots import SIZE, STACKED, host_duration, phase_order, style
from .whatif import Group, groups, plan_axes, release_of, release_tables


def _guests(results: dict[str, Any], group: Group, config: Config) -> list[GuestJson]:
    found: list[GuestJson] = []
    for cell in results["cells"]:
        cell_config = tuple((cell.get("config") or {}).items())
        if (cell["concurrency"], cell["fs_mode"], cell_config) == (group.concurrency, group.fs_mode, config):
            found += cell["run"]["guests"]
    return found


def stack(guests: list[GuestJson]) -> dict[str, float]:
    """Per stacked (top-level) phase, its median host duration over the guests it counts for."""
    durations: dict[str, list[float]] = {}
    for guest in guests:
        counted = json_readings(guest)
        for phase in guest.get("phases") or []:
            name, value = phase.get("name"), host_duration(phase)
            if name in STACKED and name in counted and value is not None:
                durations.setdefault(name, []).append(value)
    return {name: median(durations[name]) for name in STACKED if name in durations}


def along(group: Group, axis: Axis) -> list[Config]:
    """The configurations that differ from the baseline in `axis` alone, in its values' order."""
    baseline = dict(group.baseline)
    found = [tuple((s.get("config") or {}).items()) for s in group.summaries]
    return [c for c in found if all(v == baseline[k] for k, v in c if k != axis.name)]


def axis_figure(results: dict[str, Any], axis: Axis, axes: tuple[Axis, ...]) -> Figure | None:
    """One panel per concurrency and fs mode; one bar per value of `axis`, the others at baseline."""
    panels = [(group, along(group, axis)) for group in groups(results)]
    panels = [(group, configs) for group, configs in panels if len(configs) > 1]
    if not panels:
        return None
    fig = Figure(figsize=SIZE, layout="constrained")
    subplots = fig.subplots(1, len(panels), squeeze=False, sharey=True)[0]
    drawn: set[str] = set()
    for ax, (group, configs) in zip(subplots, panels, strict=True):
        for x, config in enumerate(configs):
            bottom = 0.0
            for name, value in stack(_guests(results, group, config)).items():
                (bar,) = ax.bar(x, value, 0.7, bottom, color=phase_colour(name), edgecolor="#374151", linewidth=0.3)
                bar.set_gid(f"bar-{name}-{axis.name}-{x}")
                bottom += value
                drawn.add(name)
        ax.set_xticks(range(len(configs)), [axis.label(dict(c)[axis.name]) for c in configs], rotation=15)
        ax.set_title(group.title)
        ax.grid(axis="x", visible=False)
    subplots[0].set_ylabel("seconds (host clock, median per phase)")
    others = [a for a in axes if a.name != axis.name]
    rest = f"; {config_label(tuple((a.name, a.values[0]) for a in others), others)} throughout" if others else ""
    fig.suptitle(f"Where the boot goes per {axis.name} (rounds pooled{rest})")
    handles: list[Patch | Line2D] = [
        Patch(facecolor=phase_colour(n), edgecolor="#374151", linewidth=0.3, label=n)
        for n in reversed(phase_order(drawn))
    ]
    fig.legend(handles=handles, loc="outside right upper", title="phase (top to bottom)")
    return fig


def release_figure(results: dict[str, Any], axis: Axis) -> Figure | None:
    """Each phase's p50 across the axis's releases, its 95 % interval as an error bar."""
    found = [group for group in groups(results) if len(along(group, axis)) > 1]
    if not found:
        return None
    group = found[0]
    configs = along(group, axis)
    summaries = {tuple((s.get("config") or {}).items()): s for s in group.summaries}
    names = [f"{release_of(results, group, c) or '?'}\n{axis.label(dict(c)[axis.name])}" for c in configs]
    fig = Figure(figsize=SIZE, layout="constrained")
    ax = fig.add_subplot()
    for phase in phase_order({p for c in configs for p in summaries[c]["phases"]}):
        xs, ys, low, high = [], [], [], []
        for x, config in enumerate(configs):
            d = summaries[config]["phases"].get(phase)
            if d is None:
                continue
            xs.append(x)
            ys.append(d["p50"])
            ci = d["ci95"] or [d["p50"], d["p50"]]
            low.append(d["p50"] - ci[0])
            high.append(ci[1] - d["p50"])
        if xs:
            ax.errorbar(xs, ys, yerr=[low, high], marker="o", capsize=3, color=phase_colour(phase), label=phase)
    ax.set_xticks(range(len(configs)), names)
    ax.set_ylabel("seconds (p50 on the phase's clock; bars: 95 % CI of the p50)")
    ax.set_title(f"Each phase across releases ({axis.name}, {group.title}, rounds pooled)")
    fig.legend(loc="outside right upper", title="phase")
    return fig


def write_whatif_plots(results: dict[str, Any], out: Path) -> list[Path]:
    """`whatif_<axis>.svg` per axis, `releases_<axis>.svg` per axis of releases; the paths written."""
    axes = plan_axes(results)
    release_axes = {title.split(",")[0] for title, _ in release_tables(results, axes)}
    written: list[Path] = []
    with style():
        for axis in axes:
            for name, fig in (
                (f"whatif_{axis.name}.svg", axis_figure(results, axis, axes)),
                (f"releases_{axis.name}.svg", release_figure(results, axis) if axis.name in release_axes else None),
            ):
                if fig is None:
                    continue
                out.mkdir(parents=True, exist_ok=True)
                fig.savefig(out / name, format="svg", metadata={"Date": None})
                written.append(out / name)
    return written
