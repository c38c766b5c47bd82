"""A run as a static Gantt chart (SVG), like `systemd-analyze plot`: one row per guest, one bar
per phase in the TUI's colours, the 9P handshake as a narrower bar inside mount, a cross where a
guest crashed, failed or timed out, with its reason.

On the host clock (the default) bars are placed by their host edges from the run's first spawn
(see `uktrace.export.spans`), so the rows line up as the guests really ran, gate wait included;
on the guest clock (`--clock guest`, and always for console logs) each row starts at its guest's
boot and host-only phases are left out. A run that says what uktrace itself took from its guests
while they booted (`summary.tracer.booting`, live or recorded) has it in a small title on the right.
Row height shrinks with the number of guests, so 1 to 100
rows stay readable. Drawn under `uktrace.analysis.plots`' fixed style: same run, same bytes.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..analysis.plots import phase_order, style
from ..analysis.samples import tracer_booting_of
from ..model.palette import phase_colour
from .runs import Run
from .spans import Span, guest_spans, host_offset, pick_clock, run_origin, stopped_at

WIDTH_IN = 11.0
ROW_IN = (0.16, 0.42)
"""Row height in inches: as much of ~4.5 in as the rows share, within these bounds."""
FRAME_IN = 1.9
"""Title, axis and legend."""
NESTED_HEIGHT = 0.6
"""A nested phase's bar, as a share of its parent's bar (the 9P handshake inside mount inside
init_table: each one level in is thinner, so it shows inside the one it runs in)."""
CRASH_COLOUR = "#dc2626"


def figure(run: Run, clock: str | None = None) -> Figure:
    """The chart of `run` on `clock` (default host where the run has one)."""
    placed_on = pick_clock(run.guests, clock, run.name)
    guests = run.guests
    rows = max(len(guests), 1)
    row_in = min(max(4.5 / rows, ROW_IN[0]), ROW_IN[1])
    label_size = min(max(row_in * 72 * 0.55, 5.5), 8.0)
    fig = Figure(figsize=(WIDTH_IN, rows * row_in + FRAME_IN), layout="constrained")
    ax = fig.add_subplot()
    origin = run_origin(guests)
    drawn: set[str] = set()
    ends: list[float] = [0.0]
    crashed = False
    for row, guest in enumerate(guests):
        name = str(guest.get("name", row + 1))
        spans = guest_spans(guest, placed_on, host_offset(guest, origin))
        for span in spans:
            if span.category == "phase":
                _bar(ax, row, name, span)
                drawn.add(span.name)
        ends += [span.end / 1e6 for span in spans]
        note = _outcome(guest)
        if note is not None and spans:
            at = stopped_at(spans)
            x = (at if at is not None else spans[-1].end) / 1e6
            row_end = max(s.end for s in spans) / 1e6
            pad = 4.0
            if isinstance(guest.get("crash"), Mapping):
                (mark,) = ax.plot([x], [row], marker="X", color=CRASH_COLOUR, markersize=label_size, linestyle="")
                mark.set_gid(f"crash-{name}")
                crashed = True
                if x >= row_end:
                    pad += label_size / 2  # clear of the cross at the end of the row
            ax.annotate(
                note,
                (row_end, row),
                xytext=(pad, 0),
                textcoords="offset points",
                va="center",
                fontsize=label_size,
                color=CRASH_COLOUR,
                annotation_clip=False,
            )
    ax.set_yticks(range(len(guests)), [str(g.get("name", i + 1)) for i, g in enumerate(guests)])
    ax.tick_params(axis="y", labelsize=label_size, length=0)
    ax.set_ylim(rows - 0.5, -0.5)  # first guest on top
    ax.set_xlim(0, max(ends) * 1.02 or 1.0)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(
        "seconds since the run's first spawn (host clock)"
        if placed_on == "host"
        else "seconds since each guest's boot (guest clock: printk stamps; host-only phases left out)"
    )
    count = f"{len(guests)} guest{'s' if len(guests) != 1 else ''}"
    ax.set_title(f"{run.name}: boot timeline of {count}, {placed_on} clock", fontsize=10)
    booting = tracer_booting_of(run.document)
    if booting is not None:  # what uktrace itself took from these guests (a run's, or as recorded)
        share = f"{booting['share'] * 100:.1f} % of {booting['cpus']} CPUs"
        ax.set_title(f"uktrace's own CPU while they booted: {share}", loc="right", fontsize=7, color="#6b7280")
    _legend(fig, drawn, crashed)
    return fig


def render(run: Run, clock: str | None = None) -> str:
    """The SVG text."""
    with style():
        fig = figure(run, clock)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def _bar(ax: Axes, row: int, guest: str, span: Span) -> None:
    height = 0.72 * NESTED_HEIGHT**span.depth
    (bar,) = ax.barh(
        row,
        span.duration / 1e6,
        height,
        left=span.start / 1e6,
        color=phase_colour(span.name),
        edgecolor="white" if span.depth == 0 else "#831843",
        linewidth=0.4,
    )
    bar.set_gid(f"phase-{guest}-{span.name}")


def _outcome(guest: Mapping[str, Any]) -> str | None:
    """What to write after a row that did not exit cleanly: its status and reason, shortened."""
    status, code = guest.get("status"), guest.get("exit_code")
    if status == "exited" and code in (0, None):
        return None
    if status == "exited":
        return f"exited ({code})"
    crash = guest.get("crash")
    reason = crash.get("reason") if isinstance(crash, Mapping) else None
    return textwrap.shorten(f"{status}: {reason}" if reason else str(status), width=60, placeholder=" …")


def _legend(fig: Figure, drawn: Sequence[str] | set[str], crashed: bool) -> None:
    handles: list[Patch | Line2D] = [Patch(facecolor=phase_colour(n), label=n) for n in phase_order(drawn)]
    if crashed:
        handles.append(
            Line2D([], [], marker="X", color=CRASH_COLOUR, linestyle="", label="crashed / failed / timed out")
        )
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 8), frameon=False)
