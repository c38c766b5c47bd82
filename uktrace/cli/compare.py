"""`uktrace compare A B [C...]`: each input against the baseline A, per cell and metric, in tables
or JSON; with `--fail-above PCT`, a regression gate (exit 1 on a regression, 3 when it could not
judge a figure: see EXIT_STATUS)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from ..analysis.compare import (
    CANT_TELL,
    FLOOR_S,
    MIN_EFFECT,
    MIN_GUESTS,
    MIN_RUNS,
    MISSING,
    Comparison,
    Method,
    MetricComparison,
    compare,
)
from ..analysis.samples import CellSamples, Samples, SamplesError, load
from ..analysis.stats import clock_words
from ..model.shapes import formats
from ..present.comparison import LABELS, comparison_tables, run_word, signed
from .output import Output

if TYPE_CHECKING:
    from ..model.shapes import commands as shape

PROG = "uktrace compare"
PASSED, REGRESSION, USAGE, NOT_JUDGED = 0, 1, 2, 3
"""Exit statuses: a gate that passed (or no gate), a regression beyond it, bad input, and a gate
that could not judge a figure either way (and found no regression)."""
EXIT_STATUS = (
    f"exit status: {PASSED} when the comparison is made and, with --fail-above, every figure is judged and none "
    f"is slower by more than PCT %; {REGRESSION} when one is (beyond the noise: its whole 95 % interval above the "
    f"line); {USAGE} on bad input; {NOT_JUDGED} when --fail-above could not judge a figure (no interval: fewer "
    f"than {MIN_RUNS} runs or {MIN_GUESTS} guests a side; an interval across the line; a figure one side lacks) "
    "and found no regression: "
    "stderr names each such figure, why, and what would let it judge."
)


def add_compare_parser(commands: Any) -> None:
    """Register `compare` on the subcommands of `uktrace` (argparse's subparsers object)."""
    parser = commands.add_parser(
        "compare",
        help="boot times of runs side by side: what got slower, beyond the noise (a regression gate)",
        description="Compare B (and more) against the baseline A, per cell (a bench's concurrency and fs mode, "
        "or the one run of a recording or JSON) and per phase and figure. Verdicts: slower or faster when the "
        "whole 95 % interval of the difference lies beyond the smallest change that counts, no change when it "
        "lies wholly inside it, can't tell otherwise (with why, and what would let it judge).",
        epilog=EXIT_STATUS,
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
        help=f"a regression gate: exit {REGRESSION} when a metric got slower by more than PCT %% of the baseline's "
        f"median beyond the noise, {NOT_JUDGED} when it could not judge one either way",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.set_defaults(handler=compare_command)


def compare_command(args: argparse.Namespace) -> int:
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)

    def usage_error(message: str) -> int:
        stderr.print(Text.assemble((f"{PROG}:", "red"), " ", message))
        return USAGE

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
    gate = Gate.of(comparisons, args.fail_above)
    if args.json:
        json.dump(comparison_json(inputs, comparisons, method, gate), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        stdout = Output()
        if not stdout.is_terminal:
            stdout = Output(width=150)  # files and pipes get the whole table
        stdout.print(comparison_tables(inputs, comparisons, method))
    if gate is None:
        return PASSED
    for line in gate.lines():
        stderr.print(Text(f"{PROG}: {line}"))
    return gate.status


@dataclass(frozen=True, slots=True)
class Gate:
    """`--fail-above PCT` over every comparison: the metrics beyond its line, and those it could not judge."""

    percent: float
    regressions: list[tuple[Comparison, str, MetricComparison]]
    not_judged: list[tuple[Comparison, str, MetricComparison]]
    labels: dict[int, str]
    """Each comparison's B as the tables name it, by the comparison's id."""

    @classmethod
    def of(cls, comparisons: Sequence[Comparison], percent: float | None) -> Gate | None:
        if percent is None:
            return None
        fraction = percent / 100
        return cls(
            percent,
            [(c, key, m) for c in comparisons for key, m in c.regressions(fraction)],
            [(c, key, m) for c in comparisons for key, m in c.not_judged(fraction)],
            {id(c): label for label, c in zip(LABELS[1:], comparisons, strict=False)},
        )

    @property
    def status(self) -> int:
        return REGRESSION if self.regressions else NOT_JUDGED if self.not_judged else PASSED

    @property
    def outcome(self) -> str:
        return "failed" if self.regressions else "not judged" if self.not_judged else "passed"

    def lines(self) -> list[str]:
        """One line per regression, one per group of figures not judged for one reason, then the sum."""
        lines = [regression_line(comparison, key, metric) for comparison, key, metric in self.regressions]
        groups: dict[tuple[str, str, str], list[str]] = {}
        for comparison, key, metric in self.not_judged:
            sides = ("A", self.labels.get(id(comparison), "B"))
            named, reason = gate_reason(metric, self.percent, sides, run_word(comparison))
            groups.setdefault((comparison.b.source, key, reason), []).append(named)
        for (source, key, reason), metrics in groups.items():
            lines.append(f"{source}: cell {key}: not judged: {', '.join(metrics)}: {reason}")
        if self.regressions:
            lines.append(
                f"{len(self.regressions)} metric(s) slower by more than {self.percent:g} % beyond the noise"
                + (f"; {len(self.not_judged)} not judged" if self.not_judged else "")
            )
        elif self.not_judged:
            names = ", ".join(dict.fromkeys(metric.metric for _, _, metric in self.not_judged))
            lines.append(
                f"could not judge {len(self.not_judged)} metric(s) against --fail-above {self.percent:g} ({names}): "
                f"neither a regression nor ruled out; exit status {NOT_JUDGED}"
            )
        return lines


def gate_line(metric: MetricComparison, percent: float) -> float | None:
    """The gate's line for this metric: PCT % of A's median, at least the band (seconds)."""
    if metric.median_a is None or metric.band is None:
        return None
    return max(percent / 100 * abs(metric.median_a), metric.band)


def gate_reason(metric: MetricComparison, percent: float, names: tuple[str, str], run: str) -> tuple[str, str]:
    """Why the gate could not judge this metric, and what would let it: (the metric with what is
    its own, what it shares with others not judged for the same reason)."""
    line = gate_line(metric, percent)
    if metric.verdict == MISSING or line is None:
        return metric.metric, f"measured in {names[0] if metric.n_b == 0 else names[1]} only"
    if metric.interval is None:
        return metric.metric, f"{metric.why(names, run)}; it needs {metric.more(names, run)}"
    low, high = metric.interval
    verdict = "" if metric.verdict == CANT_TELL else f"{metric.verdict}, "
    return (
        f"{metric.metric} ({verdict}{signed(low)} … {signed(high)} across {signed(line)})",
        f"the interval reaches across the gate's line ({percent:g} % of median A, at least the smallest change "
        f"that counts); it needs {metric.more(names, run).removesuffix(' to narrow it')} to narrow it",
    )


def _keys(samples: Samples) -> str:
    return ", ".join(samples.cells) or "none"


def regression_line(comparison: Comparison, key: str, metric: MetricComparison) -> str:
    """`B: cell run: main slower by +32.1 ms (+1403 %), at least +30.2 ms`."""
    low = metric.interval[0] if metric.interval else None
    share = f" ({metric.difference / metric.median_a:+.0%})" if metric.median_a and metric.difference else ""
    return (
        f"{comparison.b.source}: cell {key}: {metric.metric} ({clock_words(metric.clock)}) slower by "
        f"{signed(metric.difference)}{share}, at least {signed(low)}"
    )


# -- JSON --------------------------------------------------------------------------------------


def _cell_json(cell: CellSamples) -> shape.CellGuests:
    return {"guests": cell.guests, "statuses": dict(sorted(cell.statuses.items()))}


def input_json(samples: Samples) -> shape.CompareInput:
    return {
        "source": samples.source,
        "kind": samples.kind,
        "guests": samples.guests,
        "cells": {key: _cell_json(cell) for key, cell in samples.cells.items()},
        "guest_clock": None if samples.clocks is None else samples.clocks.as_dict(),
        "guest_priority": sorted(samples.priorities),
        "tracer_share": None if (share := samples.tracer_share) is None else round(share, 5),
    }


def comparison_json(
    inputs: Sequence[Samples], comparisons: Sequence[Comparison], method: Method, gate: Gate | None
) -> shape.CompareOutput:
    """Everything the tables show, in seconds, plus the method and (with --fail-above) the gate's
    outcome, its regressions and the metrics it could not judge."""
    return {
        "format": formats.COMMANDS,
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
                        "metrics": [metric.as_dict(run_word(comparison)) for metric in cell.metrics],
                    }
                    for cell in comparison.cells
                ],
                "only_in_a": comparison.only_a,
                "only_in_b": comparison.only_b,
            }
            for comparison in comparisons
        ],
        "fail_above": None if gate is None else gate.percent,
        "gate": None if gate is None else gate.outcome,
        "exit_status": PASSED if gate is None else gate.status,
        "regressions": [] if gate is None else [_gated(c, key, m) for c, key, m in gate.regressions],
        "not_judged": []
        if gate is None
        else [
            {
                **_gated(c, key, m),
                "gate_line": None if (line := gate_line(m, gate.percent)) is None else round(line, 6),
                "gate_why": gate_reason(m, gate.percent, ("A", "B"), run_word(c))[1],
            }
            for c, key, m in gate.not_judged
        ],
    }


def _gated(comparison: Comparison, key: str, metric: MetricComparison) -> dict[str, Any]:
    return {"b": comparison.b.source, "cell": key, **metric.as_dict(run_word(comparison))}
