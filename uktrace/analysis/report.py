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

from .bench_labels import FS_TYPES, fs_label
from .figures import FIGURES, json_readings, uncounted
from .figures import median as p50
from .guest_clock import summary_of_json
from .pooled import Pool, pool_results
from .samples import tracer_booting_of
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


# -- a cell's figures, over its guests (rounds pooled: `analysis.pooled`) ------------------------------


def metric_values(guests: Sequence[dict[str, Any]], metric: str, clock: str = "figure") -> list[float]:
    """A phase's durations on its clock, or a figure's values, over the guests it counts for
    (`figures.readings`, as the tables); `clock="host"`: a phase's host-clock durations over the
    same guests."""
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


def clock_of(guests: Sequence[dict[str, Any]], metric: str) -> str:
    seen = {r[metric][1] for r in map(json_readings, guests) if metric in r}
    return clock_label(seen) or "?"


def cpu_of(guests: Sequence[dict[str, Any]], phase: str) -> list[tuple[float, float, float | None]]:
    """(wall, cpu, wait) of a host-timed phase per guest."""
    found = []
    for guest in guests:
        usage = guest.get("cpu", {}).get(phase)
        if usage:
            found.append((usage["wall_s"], usage["cpu_s"], usage["wait_s"]))
    return found


def _modes(pool: Pool) -> list[str]:
    """In the tables' order (the summary's cells go by mode name)."""
    return sorted(pool.modes)


def median(values: Sequence[float]) -> float | None:
    """The p50 of the tables (`figures.median`), so a finding quotes the figure the table shows."""
    return p50(values) if values else None


# -- findings ----------------------------------------------------------------------------------------


def top_level_phases(pool: Pool) -> list[str]:
    present = {p["name"] for cell in pool.cells.values() for g in cell.guests for p in g["phases"]}
    return [name for name in PHASES if name in present and name not in NESTED]


def scaling_findings(pool: Pool) -> list[str]:
    """How each figure and phase scales from the smallest to the largest concurrency, per mode."""
    if len(pool.concurrencies) < 2:
        return []
    low, high = pool.concurrencies[0], pool.concurrencies[-1]
    lines = []
    for mode in _modes(pool):
        fewest, most = pool.of(low, mode), pool.of(high, mode)
        a, b = median(metric_values(fewest, "total")), median(metric_values(most, "total"))
        growths = []
        for phase in top_level_phases(pool):
            if phase == "gate":
                continue  # the wait for the rest of the wave is left out of every figure
            pa, pb = median(metric_values(fewest, phase)), median(metric_values(most, phase))
            if pa is not None and pb is not None:
                growths.append((pb - pa, phase, pa, pb, clock_of(most, phase)))
        growths.sort(reverse=True)
        sentence = f"**{mode} fs, {low} → {high} guests:** total p50 {_s(a)} → {_s(b)}"
        if a and b:
            sentence += f" (×{b / a:.1f})"
        if growths:
            top = [f"{name} {_s(pa)} → {_s(pb)} ({clock_words(clock)})" for _, name, pa, pb, clock in growths[:3]]
            sentence += "; the phases that grew most: " + ", ".join(top)
        main_a, main_b = median(metric_values(fewest, "main")), median(metric_values(most, "main"))
        mount_a, mount_b = median(metric_values(fewest, "mount")), median(metric_values(most, "mount"))
        sentence += (
            f"; mount {_s(mount_a)} → {_s(mount_b)} ({clock_words(clock_of(most, 'mount'))} at {high}), "
            f"main {_s(main_a)} → {_s(main_b)} ({clock_words(clock_of(most, 'main'))} at {high})."
        )
        lines.append(sentence)
    return lines


def mode_findings(results: dict[str, Any]) -> list[str]:
    """Independent against shared at every concurrency (and filesystem type), with `uktrace
    compare`'s method (shared is the baseline): in-guest phases resampled per guest, host-clock
    figures per round (all guests of a round move with the host's load). A difference counts only
    when its whole 95 % interval lies beyond the smallest change that matters, `no change` only
    when it lies wholly inside; every other figure is `can't tell`, said with why and what would
    tell."""
    pairs = []
    for n in sorted({cell["concurrency"] for cell in results["cells"]}):
        for kind in FS_TYPES:
            suffix = "" if kind == "9p" else f"-{kind}"
            title = _guests(n) + ("" if kind == "9p" else f", {kind}")
            pairs.append((title, f"n{n}-shared{suffix}", f"n{n}-independent{suffix}"))
    return contrast_findings(results, pairs, ("shared", "independent"))


def fs_type_findings(results: dict[str, Any]) -> list[str]:
    """9P against VirtioFS at every concurrency and mode, by the same method (9P the baseline)."""
    pairs = [
        (f"{_guests(n)}, {mode}", f"n{n}-{mode}", f"n{n}-{mode}-virtiofs")
        for n in sorted({cell["concurrency"] for cell in results["cells"]})
        for mode in ("independent", "shared")
    ]
    return contrast_findings(results, pairs, ("9P", "VirtioFS"))


def contrast_findings(
    results: dict[str, Any], pairs: Sequence[tuple[str, str, str]], sides: tuple[str, str]
) -> list[str]:
    """One sentence per (title, baseline cell key, other cell key) present in the bench: what differs
    beyond the noise with the other side, what is the same, and what cannot be told yet."""
    from .compare import CANT_TELL, FASTER, NO_CHANGE, SLOWER, compare_cell
    from .samples import from_document

    samples = from_document(results, "bench")
    lines = []
    for title, key_a, key_b in pairs:
        a, b = samples.cells.get(key_a), samples.cells.get(key_b)
        if a is None or b is None:
            continue
        real, same = [], []
        undecided: dict[str, list[MetricComparison]] = {}
        for row in compare_cell(key_a, a, b).metrics:
            if row.verdict in (SLOWER, FASTER) and row.interval is not None and row.difference is not None:
                low, high = row.interval
                real.append(
                    f"{row.metric} {_signed(row.difference)} with {sides[1]} ({_s(row.median_a)} → "
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
            lines.append(f"**{title}:** " + ". ".join(sentences) + ".")
        else:
            lines.append(f"**{title}:** no figure differs between {sides[1]} and {sides[0]} beyond the noise.")
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
    n = pool.concurrencies[-1] if pool.concurrencies else None
    if n is None:
        return lines
    for mode in _modes(pool):
        medians = []
        for phase in top_level_phases(pool):
            if phase == "gate":
                continue
            value = median(metric_values(pool.of(n, mode), phase, clock="host"))
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
    n = pool.concurrencies[-1] if pool.concurrencies else None
    if n is None:
        return lines
    for mode in _modes(pool):
        guests = pool.of(n, mode)
        best: tuple[str, float | None, float, float, int, int] | None = None
        all_cpu = all_wait = 0.0
        for phase in top_level_phases(pool):
            usage = [u for u in cpu_of(guests, phase) if u[2] is not None]
            if not usage:
                continue
            cpu = median([u[1] for u in usage])
            wait = median([u[2] for u in usage if u[2] is not None])
            all_cpu += sum(u[1] for u in usage)
            all_wait += sum(u[2] for u in usage if u[2] is not None)
            if cpu is not None and wait is not None and (best is None or wait > best[3]):
                best = (
                    phase,
                    median(metric_values(guests, phase)),
                    cpu,
                    wait,
                    len(usage),
                    len(cpu_of(guests, phase)),
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
            f"**{_guests(n)}, {mode} fs:** {phase} took {_s(took)} (p50, {clock_words(clock_of(guests, phase))}); "
            f"in it, QEMU's threads ran {_s(cpu)} and waited {_s(wait)} for a CPU (p50 over {over}): "
            f"{share * 100:.0f} % of their runnable time queued. "
            f"Over all phases, {all_wait / (all_cpu + all_wait) * 100:.0f} % of QEMU's runnable time was spent "
            f"waiting for a CPU."
        )
    if len(pool.concurrencies) > 1:
        low = pool.concurrencies[0]
        for mode in _modes(pool):
            usage = [u for p in top_level_phases(pool) for u in cpu_of(pool.of(low, mode), p) if u[2] is not None]
            cpu = sum(u[1] for u in usage)
            wait = sum(u[2] or 0 for u in usage)
            if cpu + wait > 0:
                lines.append(f"At {_guests(low)}, {mode} fs: {wait / (cpu + wait) * 100:.0f} % (the baseline).")
    return lines


def clock_findings(pool: Pool) -> list[str]:
    """Per cell, whether the guests' own clocks ran at the host's rate (`model.clock_rate`): a
    guest that calibrated its TSC while descheduled stamps slow, and its in-guest figures are only
    comparable once corrected. Results from before uktrace measured it say so instead."""
    lines = []
    for (n, mode), cell in pool.cells.items():
        summary = summary_of_json(cell.guests)
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
            lines.append(f"{cell['concurrency']} guests, {fs_label(cell)} fs: {reasons}.")
    return lines or ["Every guest of every cell exited cleanly."]


def console_findings(results: dict[str, Any]) -> list[str]:
    """Per cell (rounds pooled), what its guests' consoles cost them (`console_cost.sentence`)."""
    from .console_cost import sentence

    lines = []
    for (n, mode), cell in pool_results(results).cells.items():
        said = sentence([g["console"] for g in cell.guests if isinstance(g.get("console"), dict)])
        if said is not None:
            lines.append(f"**{_guests(n)}, {mode} fs:** {said}.")
    return lines


def cell_booting(cell: dict[str, Any]) -> dict[str, Any]:
    """A traced cell's `summary.tracer.booting` in results.json (empty when it has none)."""
    return tracer_booting_of(cell.get("run")) or {}


def tracer_findings(results: dict[str, Any]) -> list[str]:
    """Per cell, uktrace's own CPU while its guests booted, as a share of the host's CPUs (the
    median over rounds, and their range): at most what it took from them (`launch.tracer_usage`)."""
    shares: dict[tuple[int, str, str], list[tuple[float, float, int]]] = {}
    wakeups: dict[tuple[int, str, str], list[float]] = {}
    for cell in results.get("cells") or []:
        booting = cell_booting(cell)  # its fields checked: share, cpu_s and cpus are there, numbers
        if booting:
            key = (cell["concurrency"], fs_label(cell), cell.get("tag") or "")  # a what-if's configuration
            shares.setdefault(key, []).append((booting["share"], booting["cpu_s"], booting["cpus"]))
            if booting.get("wakeups_per_s") is not None:
                wakeups.setdefault(key, []).append(booting["wakeups_per_s"])
    lines = []
    for (n, fs, tag), rounds in sorted(shares.items()):
        values = sorted(share for share, _, _ in rounds)
        cpu = median([cpu for _, cpu, _ in rounds])
        spread = f" (rounds {values[0] * 100:.1f}-{values[-1] * 100:.1f} %)" if len(values) > 1 else ""
        woke = median(wakeups.get((n, fs, tag), []))
        cell = f"{_guests(n)}, {fs} fs" + (f", {tag}" if tag else "")
        lines.append(
            f"**{cell}:** uktrace's own CPU while the guests booted: {_s(cpu)}, "
            f"{(median(values) or 0) * 100:.1f} % of {rounds[0][2]} CPUs{spread}: at most what it took from them"
            + ("." if woke is None else f"; it woke {woke:.0f} times a second (median of rounds).")
        )
    return lines


# -- the document -----------------------------------------------------------------------------------


def render_report(results: dict[str, Any], plots: Sequence[str]) -> str:
    from .observer import findings as observer_findings
    from .observer import table as observer_table

    pool = pool_results(results)
    plan, host = results["plan"], results["host"]
    cell_time = sum(cell["wall_s"] for cell in results["cells"])
    out = [
        "# uktrace bench report",
        "",
        f"Kernel `{plan['kernel']}`, accelerator {plan['options']['accel']}, memory {plan['options']['mem']}; "
        f"concurrency {', '.join(map(str, plan['concurrency']))} × fs {', '.join(plan['fs_modes'])} × "
        f"{' and '.join(plan.get('fs_types') or ['9p'])} × "
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
        ("Independent vs shared", mode_findings(results)),
        ("9P vs VirtioFS", fs_type_findings(results)),
        ("Where the total goes", total_findings(pool)),
        ("Waiting for a CPU", cpu_findings(pool)),
        ("What uktrace itself cost", tracer_findings(results) + observer_findings(results)),
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
                f"| {cell['concurrency']} {fs_label(cell)} | {name} | {d['clock']} | {d['count']} | {_s(d['mean'])} "
                f"| {_s(d['stdev'])} | {_s(d['p50'])} | {ci} | {_s(d['p90'])} | {_s(d['p95'])} | {_s(d['p99'])} "
                f"| {_s(d['max'])} |"
            )
    return rows


def _phase_table(results: dict[str, Any], pool: Pool) -> list[str]:
    cells = results["summary"]["cells"]
    header = "| phase | " + " | ".join(f"{c['concurrency']} {fs_label(c)}" for c in cells) + " |"
    rows = [header, "|---|" + "---:|" * len(cells)]
    for phase in PHASES:
        values = []
        for cell in cells:
            d = cell["phases"].get(phase)
            values.append("" if d is None else f"{_s(d['p50'])} ({d['clock']})")
        if any(values):
            rows.append(f"| {phase} | " + " | ".join(values) + " |")
    return rows
