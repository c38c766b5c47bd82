"""The bench's `report.md`: findings computed from results.json, never written by hand.

Every sentence in "Findings" is produced from the data by a function here, with the numbers it
quotes; a finding that the data cannot support (one concurrency, one fs mode, no CPU accounting)
is left out rather than guessed. Differences between fs modes are judged with `uktrace compare`'s
method (`uktrace.analysis.compare`), so the report and compare never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uktrace.parsers.phases import HOST_PHASES, NESTED, PHASES

from .figures import FIGURES, json_readings, uncounted
from .figures import median as p50
from .guest_clock import summary_of_json
from .stats import clock_label, clock_words

if TYPE_CHECKING:
    from .compare import MetricComparison


def _s(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value * 1000:.1f} ms" if abs(value) < 1 else f"{value:.2f} s"


def _guests(n: int) -> str:
    return "1 guest" if n == 1 else f"{n} guests"


def write_report(results: dict[str, Any], out: Path) -> list[Path]:
    """report.md and the plots beside it; returns every file written (results.* included)."""
    from .plots import write_plots
    from .whatif import is_whatif

    written = [out / "results.json", out / "results.csv"]
    plots: list[Path] = []
    report = out / "report.md"
    if is_whatif(results):  # configurations of --vary: pooled per configuration, judged against the baseline
        from .whatif import render
        from .whatif_plots import write_whatif_plots

        plots = write_whatif_plots(results, out) if results["cells"] else []
        report.write_text(render(results, [p.name for p in plots]))
        return [*written, *plots, report]
    if results["cells"]:
        plots = write_plots(results, out)
    report.write_text(render_report(results, [p.name for p in plots]))
    return [*written, *plots, report]


# -- the data, pooled per cell ---------------------------------------------------------------------


class Pool:
    """Per (concurrency, fs mode), the guests of every round."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.guests: dict[tuple[int, str], list[dict[str, Any]]] = {}
        for cell in results["cells"]:
            self.guests.setdefault((cell["concurrency"], cell["fs_mode"]), []).extend(cell["run"]["guests"])
        self.concurrency = sorted({n for n, _ in self.guests})
        self.modes = [m for m in ("independent", "shared") if any(mode == m for _, mode in self.guests)]

    def values(self, n: int, mode: str, metric: str, clock: str = "figure") -> list[float]:
        """A phase's durations on its clock, or a figure's values, over the cell's guests it counts
        for (`figures.readings`, as the tables); `clock="host"`: a phase's host-clock durations
        over the same guests."""
        guests = self.guests.get((n, mode), [])
        if clock != "host":
            return [r[metric][0] for r in map(json_readings, guests) if metric in r]
        found = []
        for guest in guests:
            skip = uncounted(str(guest.get("status")), [(p["name"], p.get("end")) for p in guest["phases"]])
            for phase in guest["phases"]:
                side = phase["host"]
                if phase["name"] == metric and metric not in skip and None not in (side["start"], side["end"]):
                    found.append(side["end"] - side["start"])
        return found

    def clock(self, n: int, mode: str, metric: str) -> str:
        seen = {r[metric][1] for r in map(json_readings, self.guests.get((n, mode), [])) if metric in r}
        return clock_label(seen) or "?"

    def cpu(self, n: int, mode: str, phase: str) -> list[tuple[float, float, float | None]]:
        """(wall, cpu, wait) of a host-timed phase per guest."""
        found = []
        for guest in self.guests.get((n, mode), []):
            usage = guest.get("cpu", {}).get(phase)
            if usage:
                found.append((usage["wall_s"], usage["cpu_s"], usage["wait_s"]))
        return found


def median(values: Sequence[float]) -> float | None:
    """The p50 of the tables (`figures.median`), so a finding quotes the figure the table shows."""
    return p50(values) if values else None


# -- findings ----------------------------------------------------------------------------------------


def top_level_phases(pool: Pool) -> list[str]:
    present = {p["name"] for guests in pool.guests.values() for g in guests for p in g["phases"]}
    return [name for name in PHASES if name in present and name not in NESTED]


def scaling_findings(pool: Pool) -> list[str]:
    """How each figure and phase scales from the smallest to the largest concurrency, per mode."""
    if len(pool.concurrency) < 2:
        return []
    low, high = pool.concurrency[0], pool.concurrency[-1]
    lines = []
    for mode in pool.modes:
        a, b = median(pool.values(low, mode, "total")), median(pool.values(high, mode, "total"))
        growths = []
        for phase in top_level_phases(pool):
            if phase == "gate":
                continue  # the wait for the rest of the wave is left out of every figure
            pa, pb = median(pool.values(low, mode, phase)), median(pool.values(high, mode, phase))
            if pa is not None and pb is not None:
                growths.append((pb - pa, phase, pa, pb, pool.clock(high, mode, phase)))
        growths.sort(reverse=True)
        sentence = f"**{mode} fs, {low} → {high} guests:** total p50 {_s(a)} → {_s(b)}"
        if a and b:
            sentence += f" (×{b / a:.1f})"
        if growths:
            top = [f"{name} {_s(pa)} → {_s(pb)} ({clock_words(clock)})" for _, name, pa, pb, clock in growths[:3]]
            sentence += "; the phases that grew most: " + ", ".join(top)
        main_a, main_b = median(pool.values(low, mode, "main")), median(pool.values(high, mode, "main"))
        mount_a, mount_b = median(pool.values(low, mode, "mount")), median(pool.values(high, mode, "mount"))
        sentence += (
            f"; mount {_s(mount_a)} → {_s(mount_b)} ({clock_words(pool.clock(high, mode, 'mount'))} at {high}), "
            f"main {_s(main_a)} → {_s(main_b)} ({clock_words(pool.clock(high, mode, 'main'))} at {high})."
        )
        lines.append(sentence)
    return lines


def mode_findings(results: dict[str, Any]) -> list[str]:
    """Independent against shared 9P at every concurrency, with `uktrace compare`'s method (shared
    is the baseline): in-guest phases resampled per guest, host-clock figures per round (all
    guests of a round move with the host's load). A difference counts only when its whole 95 %
    interval lies beyond the smallest change that matters, `no change` only when it lies wholly
    inside; every other figure is `can't tell`, said with why and what would tell."""
    from .compare import CANT_TELL, FASTER, NO_CHANGE, SLOWER, compare_cell
    from .samples import from_document

    samples = from_document(results, "bench")
    sides = ("shared", "independent")
    lines = []
    for n in sorted({cell["concurrency"] for cell in results["cells"]}):
        shared, independent = samples.cells.get(f"n{n}-shared"), samples.cells.get(f"n{n}-independent")
        if shared is None or independent is None:
            continue
        real, same = [], []
        undecided: dict[str, list[MetricComparison]] = {}
        for row in compare_cell(f"n{n}", shared, independent).metrics:
            if row.verdict in (SLOWER, FASTER) and row.interval is not None and row.difference is not None:
                low, high = row.interval
                real.append(
                    f"{row.metric} {_signed(row.difference)} with independent ({_s(row.median_a)} → "
                    f"{_s(row.median_b)}, 95 % CI {_signed(low)} to {_signed(high)}, {row.clock} clock, per {row.unit})"
                )
            elif row.verdict == NO_CHANGE:
                same.append(row.metric)
            elif row.verdict == CANT_TELL:
                undecided.setdefault(row.needs(sides, "round") or "", []).append(row)
        if real or undecided:
            parts = []
            if real:
                parts.append("beyond the noise: " + "; ".join(real))
            parts += [undecided_sentence(rows, needs, sides) for needs, rows in undecided.items()]
            if same:
                parts.append(f"no change: {', '.join(same)}")
            sentences = parts[:1] + [part[:1].upper() + part[1:] for part in parts[1:]]
            lines.append(f"**{_guests(n)}:** " + ". ".join(sentences) + ".")
        else:
            lines.append(f"**{_guests(n)}:** no figure differs between independent and shared beyond the noise.")
    return lines


def undecided_sentence(rows: Sequence[MetricComparison], needs: str, sides: tuple[str, str]) -> str:
    """`can't tell boot (95 % CI −63.5 ms to +14.4 ms against ±50.6 ms), total (...): ...; it needs
    more rounds a side (now 2 and 2) to narrow them`, or, without intervals, why there are none."""
    if all(row.interval is None for row in rows):
        return f"can't tell {', '.join(row.metric for row in rows)}: {rows[0].why(sides, 'round')}; it needs {needs}"
    named = []
    for row in rows:
        if row.interval is None:
            named.append(f"{row.metric} ({row.why(sides, 'round')})")
        else:
            low, high = row.interval
            band = f"±{_s(row.band)}"
            named.append(f"{row.metric} (95 % CI {_signed(low)} to {_signed(high)} against {band})")
    return (
        f"can't tell {', '.join(named)}: each interval is neither inside nor beyond the smallest change that "
        f"counts; it needs {needs.removesuffix(' to narrow it')} to narrow {'it' if len(rows) == 1 else 'them'}"
    )


def _signed(value: float) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "±") + _s(abs(value))


def total_findings(pool: Pool) -> list[str]:
    """Where the total goes: each host-clock phase's share of the median total, at the largest N."""
    lines: list[str] = []
    n = pool.concurrency[-1] if pool.concurrency else None
    if n is None:
        return lines
    for mode in pool.modes:
        medians = []
        for phase in top_level_phases(pool):
            if phase == "gate":
                continue
            value = median(pool.values(n, mode, phase, clock="host"))
            if value is not None:
                medians.append((value, phase))
        whole = sum(v for v, _ in medians)
        if whole <= 0:
            continue
        medians.sort(reverse=True)
        parts = ", ".join(f"{phase} {v / whole * 100:.0f} %" for v, phase in medians[:4] if v / whole >= 0.01)
        host = sum(v for v, p in medians if p in HOST_PHASES)
        lines.append(
            f"**{_guests(n)}, {mode} fs:** of the summed median phases ({_s(whole)}, host clock), {parts}; "
            f"{host / whole * 100:.0f} % is host-side start-up (spawn + firmware) that no guest log shows."
        )
    return lines


def cpu_findings(pool: Pool) -> list[str]:
    """Per mode at the largest N: the phase whose guests waited most for a CPU, and the overall share."""
    lines: list[str] = []
    n = pool.concurrency[-1] if pool.concurrency else None
    if n is None:
        return lines
    for mode in pool.modes:
        best: tuple[str, float | None, float, float, int, int] | None = None
        all_cpu = all_wait = 0.0
        for phase in top_level_phases(pool):
            usage = [u for u in pool.cpu(n, mode, phase) if u[2] is not None]
            if not usage:
                continue
            cpu = median([u[1] for u in usage])
            wait = median([u[2] for u in usage if u[2] is not None])
            all_cpu += sum(u[1] for u in usage)
            all_wait += sum(u[2] for u in usage if u[2] is not None)
            if cpu is not None and wait is not None and (best is None or wait > best[3]):
                best = (
                    phase,
                    median(pool.values(n, mode, phase)),
                    cpu,
                    wait,
                    len(usage),
                    len(pool.cpu(n, mode, phase)),
                )
        if best is None or all_cpu + all_wait <= 0:
            continue
        phase, took, cpu, wait, known, timed = best
        share = wait / (cpu + wait) if cpu + wait > 0 else 0.0
        # the phase's own figure, as the tables give it; QEMU's accounting runs from the tracer's
        # mark at the phase's start to the next mark, so it is quoted apart, per guest (p50)
        # a phase the exit ended has no wait reading: say over how many guests the figures are
        over = f"{known} guests" if known == timed else f"the {known} of {timed} guests whose wait is known"
        lines.append(
            f"**{_guests(n)}, {mode} fs:** {phase} took {_s(took)} (p50, {clock_words(pool.clock(n, mode, phase))}); "
            f"in it, QEMU's threads ran {_s(cpu)} and waited {_s(wait)} for a CPU (p50 over {over}): "
            f"{share * 100:.0f} % of their runnable time queued. "
            f"Over all phases, {all_wait / (all_cpu + all_wait) * 100:.0f} % of QEMU's runnable time was spent "
            f"waiting for a CPU."
        )
    if len(pool.concurrency) > 1:
        low = pool.concurrency[0]
        for mode in pool.modes:
            cpu = sum(u[1] for p in top_level_phases(pool) for u in pool.cpu(low, mode, p) if u[2] is not None)
            wait = sum(u[2] or 0 for p in top_level_phases(pool) for u in pool.cpu(low, mode, p) if u[2] is not None)
            if cpu + wait > 0:
                lines.append(f"At {_guests(low)}, {mode} fs: {wait / (cpu + wait) * 100:.0f} % (the baseline).")
    return lines


def clock_findings(pool: Pool) -> list[str]:
    """Per cell, whether the guests' own clocks ran at the host's rate (`model.clock_rate`): a
    guest that calibrated its TSC while descheduled stamps slow, and its in-guest figures are only
    comparable once corrected. Results from before uktrace measured it say so instead."""
    lines = []
    for (n, mode), guests in sorted(pool.guests.items()):
        summary = summary_of_json(guests)
        if summary is None:
            return [
                "These results predate uktrace's guest clock check: in-guest figures are as the guests "
                "stamped them, and a guest whose TSC calibration was disturbed by the load stamps slow "
                "(re-run the bench, or replay the cells' recordings, to have them measured and corrected)."
            ]
        sentence = summary.sentence() or "no guest clock measured"
        lines.append(f"{_guests(n)}, {mode} fs (rounds pooled): {sentence}.")
    return lines


def failure_findings(results: dict[str, Any]) -> list[str]:
    lines = []
    for cell in results["summary"]["cells"]:
        if cell["failures"]:
            reasons = "; ".join(f"{count} × {reason}" for reason, count in cell["failures"].items())
            lines.append(f"{cell['concurrency']} guests, {cell['fs_mode']} fs: {reasons}.")
    return lines or ["Every guest of every cell exited cleanly."]


def console_findings(results: dict[str, Any]) -> list[str]:
    """Per cell (rounds pooled), what its guests' consoles cost them (`console_cost.sentence`)."""
    from .console_cost import sentence

    pooled: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for cell in results["cells"]:
        consoles = [g["console"] for g in cell["run"]["guests"] if isinstance(g.get("console"), dict)]
        pooled.setdefault((cell["concurrency"], cell["fs_mode"]), []).extend(consoles)
    lines = []
    for (n, mode), consoles in sorted(pooled.items()):
        said = sentence(consoles)
        if said is not None:
            lines.append(f"**{_guests(n)}, {mode} fs:** {said}.")
    return lines


# -- the document -----------------------------------------------------------------------------------


def render_report(results: dict[str, Any], plots: Sequence[str]) -> str:
    from .observer import findings as observer_findings
    from .observer import table as observer_table

    pool = Pool(results)
    plan, host = results["plan"], results["host"]
    cell_time = sum(cell["wall_s"] for cell in results["cells"])
    out = [
        "# uktrace bench report",
        "",
        f"Kernel `{plan['kernel']}`, accelerator {plan['options']['accel']}, memory {plan['options']['mem']}; "
        f"concurrency {', '.join(map(str, plan['concurrency']))} × fs {', '.join(plan['fs_modes'])} × "
        f"{plan['repeat']} round(s), interleaved (seed {plan['seed']})"
        + (", after an unrecorded warm-up cell" if plan.get("warmup") else "")
        + ".",
        f"Host: {host['cpus']} CPUs, {host['platform']}, {host.get('qemu') or 'QEMU version unknown'}. "
        f"The bench took {_s(results['wall_s'])}; its {len(results['cells'])} cells ran for {_s(cell_time)} "
        f"(the rest: checks, cool-down between cells, the warm-up, writing results).",
        "",
        "Each figure is read on the clock that can see it: guest stamps for in-guest phases once the guest "
        "clock runs, the host clock for spawn / gate / firmware, for phases before the guest calibrated its "
        "clock, and for boot (spawn to main) and total (spawn to exit), the gate wait left out of both. "
        "A guest clock that ran at a skewed rate (TSC calibration disturbed) is corrected by its measured rate: "
        "`guest (corrected)`.",
        "",
        "## Findings",
        "",
    ]
    for section, lines in (
        ("How boot scales", scaling_findings(pool)),
        ("The guests' own clocks", clock_findings(pool)),
        ("Independent vs shared 9P", mode_findings(results)),
        ("Where the total goes", total_findings(pool)),
        ("Waiting for a CPU", cpu_findings(pool)),
        ("What uktrace itself cost", observer_findings(results)),
        ("What the consoles cost", console_findings(results)),
        ("Failures", failure_findings(results)),
    ):
        if lines:
            out += [f"### {section}", "", *[f"- {line}" for line in lines], ""]
    out += ["## Figures per cell (rounds pooled)", ""]
    out += _figure_table(results)
    out += ["", "## Phase medians per cell", ""]
    out += _phase_table(results, pool)
    if effect := observer_table(results):
        out += ["", "## The tracer's effect per cell (traced against unobserved, rounds pooled)", "", *effect]
    if plots:
        out += ["", "## Plots", ""]
        out += [f"![{name}]({name})" for name in plots]
    out += [
        "",
        "Loads per cell (1-minute load average before → after) are in results.json; every guest × phase with "
        "both clocks and CPU time is in results.csv; each cell's recording replays with `uktrace replay`.",
        "",
    ]
    return "\n".join(out)


def _figure_table(results: dict[str, Any]) -> list[str]:
    rows = [
        "| cell | figure | clock | n | mean | stdev | p50 | 95 % CI of p50 | p90 | p95 | p99 | max |",
        "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for cell in results["summary"]["cells"]:
        for name in FIGURES:
            d = cell["figures"].get(name)
            if d is None:
                continue
            ci = "…" if d["ci95"] is None else f"{_s(d['ci95'][0])} – {_s(d['ci95'][1])}"
            rows.append(
                f"| {cell['concurrency']} {cell['fs_mode']} | {name} | {d['clock']} | {d['count']} | {_s(d['mean'])} "
                f"| {_s(d['stdev'])} | {_s(d['p50'])} | {ci} | {_s(d['p90'])} | {_s(d['p95'])} | {_s(d['p99'])} "
                f"| {_s(d['max'])} |"
            )
    return rows


def _phase_table(results: dict[str, Any], pool: Pool) -> list[str]:
    cells = results["summary"]["cells"]
    header = "| phase | " + " | ".join(f"{c['concurrency']} {c['fs_mode']}" for c in cells) + " |"
    rows = [header, "|---|" + "---:|" * len(cells)]
    for phase in PHASES:
        values = []
        for cell in cells:
            d = cell["phases"].get(phase)
            values.append("" if d is None else f"{_s(d['p50'])} ({d['clock']})")
        if any(values):
            rows.append(f"| {phase} | " + " | ".join(values) + " |")
    return rows
