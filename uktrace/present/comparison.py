"""A comparison on the terminal: the inputs named A, B…, one table per cell with its verdicts in
colour, why a figure could not be told, and how the verdicts are reached."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..analysis.compare import CANT_TELL, MISSING, CellComparison, Comparison, Method, MetricComparison
from ..analysis.samples import CellSamples, Samples
from .table import SafeTable
from .tracer import GOAL_SHARE
from .units import format_seconds

LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""The inputs' names in order: A is the baseline."""

VERDICT_STYLE = {
    "slower": "bold red",
    "faster": "bold green",
    "no change": "dim",
    CANT_TELL: "bold yellow",
    MISSING: "yellow",
}


def guests(n: int) -> str:
    return "1 guest" if n == 1 else f"{n} guests"


def run_word(comparison: Comparison) -> str:
    """A bench's runs are its rounds."""
    return "round" if comparison.a.kind == comparison.b.kind == "bench" else "run"


def seconds_text(value: float | None) -> str:
    """Like the other tables, with two decimals below 10 ms: in-guest phases are that short."""
    if value is not None and abs(value) < 0.01:
        return f"{value * 1000:.2f} ms"
    return format_seconds(value)


def signed(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    return ("+" if seconds > 0 else "−" if seconds < 0 else "±") + seconds_text(abs(seconds))


def _interval_text(metric: MetricComparison) -> str:
    if metric.interval is not None:
        low, high = metric.interval
        return f"{signed(low)} … {signed(high)}"
    if metric.verdict == MISSING:
        return ""
    return "none"


def _count(metric: MetricComparison) -> str:
    counts = f"{metric.n_a}/{metric.n_b}"
    return counts if metric.unit == "guest" else f"{counts} ({metric.runs_a}/{metric.runs_b} runs)"


def cell_table(comparison: Comparison, cell: CellComparison, names: tuple[str, str] = ("A", "B")) -> Table:
    title = f"{comparison.b.source} against {comparison.a.source} · cell {cell.key}"
    caption = _outcomes(cell, names)
    table = SafeTable(title=title, title_justify="left", caption=caption, caption_justify="left")
    for column in ("metric", "clock", "n A/B", "median A", "median B", "Δ", "ratio", "95 % CI of Δ", "p", "verdict"):
        left = column in ("metric", "clock", "verdict")
        table.add_column(column, justify="left" if left else "right", no_wrap=column == "verdict")
    for metric in cell.metrics:
        table.add_row(
            metric.metric,
            metric.clock,
            _count(metric),
            seconds_text(metric.median_a),
            seconds_text(metric.median_b),
            signed(metric.difference),
            "…" if metric.ratio is None else f"{metric.ratio:.2f}",
            _interval_text(metric),
            "…" if metric.p_value is None else f"{metric.p_value:.3g}",
            Text(metric.verdict, style=VERDICT_STYLE.get(metric.verdict, "")),
        )
    return table


def _outcomes(cell: CellComparison, names: tuple[str, str]) -> str:
    def side(name: str, part: CellSamples) -> str:
        failures = ", ".join(f"{n} {status}" for status, n in part.failures().items())
        return f"{name}: {guests(part.guests)}" + (f" ({failures})" if failures else "")

    return f"{side(names[0], cell.a)}; {side(names[1], cell.b)}"


def undecided_lines(comparison: Comparison, cell: CellComparison, names: tuple[str, str]) -> list[Text]:
    """The cell's `can't tell` metrics, grouped by why: `can't tell  spawn, boot, total: 1 run in A
    and 1 in B, too few for an interval (2+ a side); it needs 1 more run a side (...)`, or with
    their bands when their intervals (in the table) reach across them."""
    run = run_word(comparison)
    groups: dict[str, list[str]] = {}
    for metric in cell.metrics:
        if metric.verdict != CANT_TELL:
            continue
        if metric.interval is None:
            groups.setdefault(f"{metric.why(names, run)}; it needs {metric.needs(names, run)}", []).append(
                metric.metric
            )
        else:
            more = metric.more(names, run).removesuffix(" to narrow it")
            reason = (
                "each interval in the table is neither inside nor beyond its band (the smallest change that "
                f"counts, ± beside the name); it needs {more} to narrow it"
            )
            groups.setdefault(reason, []).append(f"{metric.metric} (±{seconds_text(metric.band)})")
    return [
        Text.assemble((CANT_TELL, VERDICT_STYLE[CANT_TELL]), f"  {', '.join(metrics)}: {reason}")
        for reason, metrics in groups.items()
    ]


def comparison_tables(inputs: Sequence[Samples], comparisons: Sequence[Comparison], method: Method) -> RenderableType:
    parts: list[RenderableType] = []
    for label, samples in zip(LABELS, inputs, strict=False):
        parts.append(Text(f"{label} = {samples.source} ({samples.kind}, {guests(samples.guests)})"))
        note = clock_note(samples)
        if note is not None:
            parts.append(
                Text(f"    {note}", style="yellow" if samples.clocks is None or samples.clocks.skewed else "dim")
            )
    for note in (priority_note(inputs), tracer_note(inputs)):
        if note is not None:
            parts.append(Text(note, style="yellow"))
    for label, comparison in zip(LABELS[1:], comparisons, strict=False):
        names = ("A", label)
        for cell in comparison.cells:
            parts += [Text(""), cell_table(comparison, cell, names), *undecided_lines(comparison, cell, names)]
        for name, keys in (("A", comparison.only_a), (comparison.b.source, comparison.only_b)):
            if keys:
                parts.append(Text(f"only in {name}, not compared: {', '.join(keys)}", style="yellow"))
    parts += [Text(""), Text(method_note(method), style="dim")]
    return Group(*parts)


def per_input(values: Iterable[str]) -> str:
    """`A: ...; B: ...`: what each input says, by its label, for a note on how they differ."""
    return "; ".join(f"{label}: {value}" for label, value in zip(LABELS, values, strict=False))


def priority_note(inputs: Sequence[Samples]) -> str | None:
    """When the inputs ran their guests at different priorities against uktrace: their timing may
    differ by uktrace's scheduling, not the kernel's (docs/observer.md, "Guest priority")."""
    said = [samples.priorities for samples in inputs if samples.priorities]
    if len(set(said)) < 2:
        return None
    ways = per_input(", ".join(sorted(samples.priorities)) or "not recorded" for samples in inputs)
    return (
        f"the inputs ran their guests at different priorities ({ways}): with more guests than CPUs "
        "their phases differ by that alone (--guest-priority)"
    )


def tracer_note(inputs: Sequence[Samples]) -> str | None:
    """When uktrace itself took shares of the CPUs from the inputs' guests that differ by more than
    its goal (`present.tracer.GOAL_SHARE`): a TUI's run against a headless one, a busier tracer.
    With more guests than CPUs, the guests of the one it took more from had that much less."""
    shares = [samples.tracer_share for samples in inputs]
    known = [share for share in shares if share is not None]
    if len(known) < 2 or max(known) - min(known) <= GOAL_SHARE:
        return None
    each = per_input("not recorded" if share is None else f"{share * 100:.1f} %" for share in shares)
    return (
        f"uktrace itself took different shares of the CPUs while the guests booted ({each}): with more guests "
        "than CPUs their phases differ by that alone (the TUI costs uktrace more CPU than --headless)"
    )


def clock_note(samples: Samples) -> str | None:
    """Whether the input's guest clocks ran at the host's rate: corrected figures, or figures from
    before uktrace checked (a guest-clock difference between such inputs may be a clock's doing)."""
    if samples.clocks is None:
        return "predates uktrace's guest clock check: guest-clock figures as stamped, possibly from skewed clocks"
    return samples.clocks.sentence()


def method_note(method: Method) -> str:
    return (
        f"Δ = median B − median A. The smallest change that counts: {method.min_effect:.0%} of median A, at least "
        f"{method.floor_s * 1000:g} ms. Verdict slower/faster: the whole {method.confidence:.0%} interval beyond it; "
        "no change: the whole interval within it; can't tell: no interval, or one that reaches across it. "
        "Guest clock: the interval bootstraps guests, p is Mann–Whitney over guests. Host clock: all guests of a run "
        "move with the host's load, so the run is the unit (Welch over run medians; Mann–Whitney over run medians), "
        "and one run a side has no interval: compare benches with rounds for host figures."
    )
