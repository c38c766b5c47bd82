"""`uktrace compare A B [C...]`: each input against the baseline A, per cell and metric, in tables
or JSON; with `--fail-above PCT`, a regression gate (exit 1)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..analysis.compare import FLOOR_S, MIN_EFFECT, CellComparison, Comparison, Method, MetricComparison, compare
from ..analysis.samples import Cell, Samples, SamplesError, load
from ..analysis.stats import clock_words
from .output import Output, SafeTable
from .report import format_seconds

PROG = "uktrace compare"
LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""The inputs' names in order: A is the baseline."""

VERDICT_STYLE = {"slower": "bold red", "faster": "bold green", "no change": "dim", "missing": "yellow"}


def add_compare_parser(commands: Any) -> None:
    """Register `compare` on the subcommands of `uktrace` (argparse's subparsers object)."""
    parser = commands.add_parser(
        "compare",
        help="boot times of runs side by side: what got slower, beyond the noise (a regression gate)",
        description="Compare B (and more) against the baseline A, per cell (a bench's concurrency and fs mode, "
        "or the one run of a recording or JSON) and per phase and figure.",
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="a bench directory (results.json), a recording (uktrace run --record DIR), or a JSON file "
        "(uktrace run --json, uktrace parse --json, a bench's results.json); the first is the baseline",
    )
    parser.add_argument(
        "--min-effect",
        type=float,
        default=MIN_EFFECT * 100,
        metavar="PCT",
        help=f"smallest change that counts, in %% of the baseline's median (default {MIN_EFFECT * 100:g})",
    )
    parser.add_argument(
        "--min-ms",
        type=float,
        default=FLOOR_S * 1000,
        metavar="MS",
        help=f"smallest change that counts, in milliseconds (default {FLOOR_S * 1000:g})",
    )
    parser.add_argument(
        "--fail-above",
        type=float,
        metavar="PCT",
        help="exit 1 when a metric got slower by more than PCT %% of the baseline's median, beyond the noise",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.set_defaults(handler=compare_command)


def compare_command(args: argparse.Namespace) -> int:
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)

    def usage_error(message: str) -> int:
        stderr.print(Text.assemble((f"{PROG}:", "red"), " ", message))
        return 2

    if len(args.inputs) < 2:
        return usage_error("needs at least two inputs: the baseline A, then B")
    for name in ("min_effect", "min_ms", "fail_above"):
        value = getattr(args, name)
        if value is not None and not value >= 0:
            return usage_error(f"--{name.replace('_', '-')} must be a number >= 0, not {value:g}")
    method = Method(min_effect=args.min_effect / 100, floor_s=args.min_ms / 1000)
    try:
        inputs = [load(path) for path in args.inputs]
    except SamplesError as error:
        return usage_error(str(error))
    baseline = inputs[0]
    comparisons = [compare(baseline, other, method) for other in inputs[1:]]
    for comparison in comparisons:
        if not comparison.cells:
            return usage_error(
                f"{comparison.a.source} and {comparison.b.source} have no cell in common "
                f"({_keys(comparison.a)} against {_keys(comparison.b)})"
            )
    regressions = []
    if args.fail_above is not None:
        regressions = [(c, key, m) for c in comparisons for key, m in c.regressions(args.fail_above / 100)]
    if args.json:
        json.dump(comparison_json(inputs, comparisons, method, args.fail_above, regressions), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        stdout = Output()
        if not stdout.is_terminal:
            stdout = Output(width=150)  # files and pipes get the whole table
        stdout.print(comparison_tables(inputs, comparisons, method))
    if regressions:
        for comparison, key, metric in regressions:
            stderr.print(Text(f"{PROG}: {regression_line(comparison, key, metric)}"))
        stderr.print(
            Text(f"{PROG}: {len(regressions)} metric(s) slower by more than {args.fail_above:g} % beyond the noise")
        )
        return 1
    return 0


def _keys(samples: Samples) -> str:
    return ", ".join(samples.cells) or "none"


def seconds_text(value: float | None) -> str:
    """Like the other tables, with two decimals below 10 ms: in-guest phases are that short."""
    if value is not None and abs(value) < 0.01:
        return f"{value * 1000:.2f} ms"
    return format_seconds(value)


def _signed(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    return ("+" if seconds > 0 else "−" if seconds < 0 else "±") + seconds_text(abs(seconds))


def regression_line(comparison: Comparison, key: str, metric: MetricComparison) -> str:
    """`B: cell run: main slower by +32.1 ms (+1403 %), at least +30.2 ms`."""
    low = metric.interval[0] if metric.interval else None
    share = f" ({metric.difference / metric.median_a:+.0%})" if metric.median_a and metric.difference else ""
    return (
        f"{comparison.b.source}: cell {key}: {metric.metric} ({clock_words(metric.clock)}) slower by "
        f"{_signed(metric.difference)}{share}, at least {_signed(low)}"
    )


# -- the terminal ------------------------------------------------------------------------------


def _interval_text(metric: MetricComparison) -> str:
    if metric.interval is not None:
        low, high = metric.interval
        return f"{_signed(low)} … {_signed(high)}"
    if metric.verdict == "missing":
        return ""
    if metric.unit == "run" and min(metric.runs_a, metric.runs_b) < 2:
        return "needs 2+ runs a side"
    return "needs 2+ a side"


def _count(metric: MetricComparison) -> str:
    counts = f"{metric.n_a}/{metric.n_b}"
    return counts if metric.unit == "guest" else f"{counts} ({metric.runs_a}/{metric.runs_b} runs)"


def cell_table(comparison: Comparison, cell: CellComparison, method: Method) -> Table:
    title = f"{comparison.b.source} against {comparison.a.source} · cell {cell.key}"
    table = SafeTable(title=title, title_justify="left", caption=_outcomes(cell), caption_justify="left")
    for column in ("metric", "clock", "n A/B", "median A", "median B", "Δ", "ratio", "95 % CI of Δ", "p", "verdict"):
        table.add_column(column, justify="left" if column in ("metric", "clock", "verdict") else "right")
    for metric in cell.metrics:
        table.add_row(
            metric.metric,
            metric.clock,
            _count(metric),
            seconds_text(metric.median_a),
            seconds_text(metric.median_b),
            _signed(metric.difference),
            "…" if metric.ratio is None else f"{metric.ratio:.2f}",
            _interval_text(metric),
            "…" if metric.p_value is None else f"{metric.p_value:.3g}",
            Text(metric.verdict, style=VERDICT_STYLE.get(metric.verdict, "")),
        )
    return table


def _outcomes(cell: CellComparison) -> str:
    def side(name: str, part: Cell) -> str:
        failures = ", ".join(f"{n} {status}" for status, n in part.failures().items())
        return f"{name}: {part.guests} guests" + (f" ({failures})" if failures else "")

    return f"{side('A', cell.a)}; {side('B', cell.b)}"


def comparison_tables(inputs: Sequence[Samples], comparisons: Sequence[Comparison], method: Method) -> RenderableType:
    parts: list[RenderableType] = []
    for label, samples in zip(LABELS, inputs, strict=False):
        parts.append(Text(f"{label} = {samples.source} ({samples.kind}, {samples.guests} guests)"))
        note = clock_note(samples)
        if note is not None:
            parts.append(
                Text(f"    {note}", style="yellow" if samples.clocks is None or samples.clocks.skewed else "dim")
            )
    note = priority_note(inputs)
    if note is not None:
        parts.append(Text(note, style="yellow"))
    for comparison in comparisons:
        for cell in comparison.cells:
            parts += [Text(""), cell_table(comparison, cell, method)]
        for name, keys in (("A", comparison.only_a), (comparison.b.source, comparison.only_b)):
            if keys:
                parts.append(Text(f"only in {name}, not compared: {', '.join(keys)}", style="yellow"))
    parts += [Text(""), Text(method_note(method), style="dim")]
    return Group(*parts)


def priority_note(inputs: Sequence[Samples]) -> str | None:
    """When the inputs ran their guests at different priorities against uktrace: their timing may
    differ by uktrace's scheduling, not the kernel's (README, "The tracer stays responsive")."""
    said = [samples.priorities for samples in inputs if samples.priorities]
    if len(set(said)) < 2:
        return None
    ways = "; ".join(
        f"{label}: {', '.join(sorted(samples.priorities)) or 'not recorded'}"
        for label, samples in zip(LABELS, inputs, strict=False)
    )
    return (
        f"the inputs ran their guests at different priorities ({ways}): with more guests than CPUs "
        "their phases differ by that alone (--guest-priority)"
    )


def clock_note(samples: Samples) -> str | None:
    """Whether the input's guest clocks ran at the host's rate: corrected figures, or figures from
    before uktrace checked (a guest-clock difference between such inputs may be a clock's doing)."""
    if samples.clocks is None:
        return "predates uktrace's guest clock check: guest-clock figures as stamped, possibly from skewed clocks"
    return samples.clocks.sentence()


def method_note(method: Method) -> str:
    return (
        f"Δ = median B − median A. Verdict slower/faster: the whole {method.confidence:.0%} interval beyond "
        f"{method.min_effect:.0%} of median A and beyond {method.floor_s * 1000:g} ms. Guest clock: the interval "
        "bootstraps guests, p is Mann–Whitney over guests. Host clock: all guests of a run move with the host's "
        "load, so the run is the unit (Welch over run medians; Mann–Whitney over run medians), and one run a side "
        "has no interval: compare benches with rounds for host figures."
    )


# -- JSON --------------------------------------------------------------------------------------


def _cell_json(cell: Cell) -> dict[str, Any]:
    return {"guests": cell.guests, "statuses": dict(sorted(cell.statuses.items()))}


def input_json(samples: Samples) -> dict[str, Any]:
    return {
        "source": samples.source,
        "kind": samples.kind,
        "guests": samples.guests,
        "cells": {key: _cell_json(cell) for key, cell in samples.cells.items()},
        "guest_clock": None if samples.clocks is None else samples.clocks.as_dict(),
        "guest_priority": sorted(samples.priorities),
    }


def comparison_json(
    inputs: Sequence[Samples],
    comparisons: Sequence[Comparison],
    method: Method,
    fail_above: float | None,
    regressions: Sequence[tuple[Comparison, str, MetricComparison]],
) -> dict[str, Any]:
    """Everything the tables show, in seconds, plus the method and (with --fail-above) the regressions."""
    return {
        "baseline": inputs[0].source,
        "inputs": [input_json(samples) for samples in inputs],
        "method": method.as_dict(),
        "comparisons": [
            {
                "a": comparison.a.source,
                "b": comparison.b.source,
                "cells": [
                    {
                        "cell": cell.key,
                        "a": _cell_json(cell.a),
                        "b": _cell_json(cell.b),
                        "metrics": [metric.as_dict() for metric in cell.metrics],
                    }
                    for cell in comparison.cells
                ],
                "only_in_a": comparison.only_a,
                "only_in_b": comparison.only_b,
            }
            for comparison in comparisons
        ],
        "fail_above": fail_above,
        "regressions": [
            {"b": comparison.b.source, "cell": key, **metric.as_dict()} for comparison, key, metric in regressions
        ],
    }
