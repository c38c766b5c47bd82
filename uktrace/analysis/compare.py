"""Is B slower than A? Per cell and metric: the medians, a confidence interval of their
difference, a Mann–Whitney U p-value, and a verdict.

Medians, because boot times are skewed, with stragglers; the median is the tables' p50
(`figures.median`, nearest rank), in the interval's statistic and per run too, so compare quotes
the number `run` and the bench report print for the same input. What counts as one sample depends on the
metric's clock, because the noise does:
* guest clock (in-guest phases, milliseconds long): each guest. Host load reaches them as the gaps
  while a vCPU is descheduled, which every guest gets on its own. The interval is a percentile
  bootstrap of median(B) - median(A) (nothing here is normal) with a fixed seed, so the same
  inputs always give the same interval and verdict.
* host clock (`spawn`, `firmware`, phases begun before the guest clock ran, `boot`, `total`):
  each run. Hundreds of milliseconds of host-side work (QEMU start-up, SeaBIOS under TCG) slow
  down with everything else the host does, so all guests of a run move together: over 12 runs of
  8 test guests on 2 cores the median `boot` of a run ranged from 0.70 to 1.23 s, one kernel
  throughout, and resampling guests called 3 of 4 pairs of those runs "slower" or "faster". A
  bench's rounds are runs; the interval is Welch's t over the runs' medians, and with fewer than 2
  runs on a side there is none: one run each cannot tell a slower kernel from a busier host.
* guest clock, when a side's runs disagree: each run too. Guests that boot at once on few CPUs
  share their run's contention, and the in-guest phases then move together like the host's:
  four rounds of 50 test guests on 2 cores gave `main` medians of 443, 151, 456 and 198 ms,
  and the bootstrap over their 200 guests, treating each as independent, called the traced side
  38 % faster than its unobserved twin (95 % CI -240 to -117 ms) when nothing told them apart.
  Runs disagree when a Kruskal-Wallis test across a side's runs rejects one distribution
  (p < `RUNS_DIFFER_P`); with one run a side nothing can show it, and the guests stay the unit.

The verdict is `slower` (`faster`) only when the whole interval lies beyond the smallest change
that counts (the band): `min_effect` of A's median (sub-percent shifts that a large bench makes
statistically clear are not news) and `floor_s` (phases of a millisecond or two move by more than
5 % with every time slice the host scheduler takes from a vCPU). Asking the whole interval, not
only the point estimate, to clear that bar is what keeps two runs of one kernel from being
called slower or faster on any metric at once, not only on most. Measured on the 66 pairs of those 12 runs
(guest-clock metrics): "interval excludes 0 and the median moved by > 5 %" called something in
26 pairs, adding a 5 ms floor in 17, the whole interval beyond both in 1; a 30 ms longer `main`
(6 more runs) was called `slower` in all 72 of its pairs, and nothing else was.

`no change` is a finding too: it needs the whole interval inside the band. Anything else (no
interval, for want of a second run or guest on a side; an interval that reaches across the band's
edge) is `can't tell`, with why and what would let it judge: an interval of -699 ms ... +729 ms
on a 776 ms median showed nothing, and calling it "no change" would let a regression gate pass
on no evidence. A gate (`--fail-above`) asks its own question of the same interval: beyond its line
is a regression, wholly below it a pass, across it not judged.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .figures import median
from .samples import METRICS, CellSamples, Samples
from .stats import clock_label
from .verdicts import CANT_TELL as CANT_TELL  # compare's verdicts, named where they are used
from .verdicts import FASTER as FASTER
from .verdicts import MISSING as MISSING
from .verdicts import NO_CHANGE as NO_CHANGE
from .verdicts import SLOWER as SLOWER

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

CONFIDENCE = 0.95
RESAMPLES = 4000
SEED = 20240601
"""Fixed: a comparison is reproducible, run after run."""
BATCH_VALUES = 1 << 20
"""Values resampled at once (resamples in a batch × values on the larger side): scipy holds each
batch's resamples and their indices (about 24 bytes a value), so resampling takes about 25 MB
however many guests are compared, where all 4,000 resamples at once took 96 KB a guest (5.7 GB
for 60,000). Time stays linear in the guests (about 0.5 s per 1,000 a metric, on a loaded host)."""
MIN_EFFECT = 0.05
"""Default relative change that counts (5 % of A's median)."""
FLOOR_S = 0.005
"""Default absolute change that counts (5 ms)."""
MIN_RUNS = 2
"""Runs a side Welch's interval needs: one has no spread (with two its t is wide, and says so)."""
RUNS_DIFFER_P = 0.01
"""Below this p-value a side's runs differ (Kruskal-Wallis): its guests are not independent samples."""
MIN_GUESTS = 5
"""Guests a side the bootstrap needs for its interval to be one: resampling 2 values gives 3
medians, and the "95 %" interval is far too narrow. Measured on 300 pairs of one lognormal
distribution (sigma 0.6, as `main` under load) per size: the interval held 0 in 71 % of pairs at 2
guests a side, 89 % at 3, 92 % at 4, 98 % at 5, and slower/faster was called in 18 %, 5 %, 3 %,
1 % of them."""


def min_units(unit: str) -> int:
    """Guests or runs a side an interval needs (`unit` as `MetricComparison.unit`)."""
    return MIN_GUESTS if unit == "guest" else MIN_RUNS


VERDICTS = (SLOWER, FASTER, NO_CHANGE, CANT_TELL, MISSING)

FAILED, PASSED, NOT_JUDGED = "failed", "passed", "not judged"
"""What a regression gate says of one metric (`MetricComparison.gate`)."""


@dataclass(frozen=True, slots=True)
class Method:
    """How a comparison decides; carried into the JSON so a verdict can be reproduced."""

    min_effect: float = MIN_EFFECT
    floor_s: float = FLOOR_S
    confidence: float = CONFIDENCE
    resamples: int = RESAMPLES
    seed: int = SEED

    def threshold(self, median_a: float) -> float:
        """The smallest change (seconds) that counts against a baseline median."""
        return max(self.min_effect * abs(median_a), self.floor_s)

    def as_dict(self) -> dict[str, object]:
        return {
            "statistic": "median(B) - median(A)",
            "median": "nearest rank, the tables' p50",
            "interval": f"guest clock: percentile bootstrap over guests (fixed seed), none with fewer than "
            f"{MIN_GUESTS} guests a side; host clock, and guest clock when a side's runs differ (Kruskal-Wallis "
            f"p < {RUNS_DIFFER_P}): Welch's t over run medians, none with fewer than {MIN_RUNS} runs a side",
            "test": "Mann-Whitney U, two-sided (guests, or run medians)",
            "verdict": "slower/faster: the whole interval beyond the band ±max(min_effect * median(A), floor_s); "
            "no change: the whole interval inside it; can't tell: no interval, or one across the band's edge",
            "min_effect": self.min_effect,
            "floor_s": self.floor_s,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
        }


def unit_of(clock: str) -> str:
    """What a metric's interval resamples by its clock: `guest` on the guest clock (corrected or
    not), `run` otherwise (see above; `runs_differ` can make a guest-clock metric's unit `run`)."""
    return "guest" if all(part.startswith("guest") for part in clock.split("+")) else "run"


def runs_differ(runs: Sequence[Sequence[float]]) -> bool:
    """Whether one side's runs do not share one distribution (Kruskal-Wallis, p < `RUNS_DIFFER_P`):
    its guests then moved with their run, and resampling them as independent would narrow the
    interval past what the data know. False with fewer than 2 runs of 2+ values (nothing to test)."""
    groups = [run for run in runs if len(run) >= 2]
    if len(groups) < 2 or len({value for run in groups for value in run}) < 2:
        return False
    from scipy.stats import kruskal

    return bool(kruskal(*groups).pvalue < RUNS_DIFFER_P)


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """One metric of one cell, A against B (seconds)."""

    metric: str
    clock: str
    unit: str
    """`guest` or `run`: what the interval and the test resampled."""
    runs_differ: bool
    """A guest-clock metric whose unit is `run` because a side's runs disagree (`runs_differ`)."""
    n_a: int
    n_b: int
    runs_a: int
    runs_b: int
    median_a: float | None
    median_b: float | None
    interval: tuple[float, float] | None
    """The confidence interval of median(B) - median(A); None with fewer than 2 units on a side."""
    p_value: float | None
    verdict: str
    """`slower`, `faster`, `no change` (each only when the interval says so), `can't tell` (see
    `why` and `needs`), or `missing` when one side never measured it."""
    band: float | None = None
    """The smallest change that counts (seconds, either way); None when one side never measured it."""

    @property
    def difference(self) -> float | None:
        if self.median_a is None or self.median_b is None:
            return None
        return self.median_b - self.median_a

    @property
    def ratio(self) -> float | None:
        if self.median_a is None or self.median_b is None or self.median_a <= 0:
            return None
        return self.median_b / self.median_a

    @property
    def units(self) -> tuple[int, int]:
        """How many units (guests or runs, as `unit` says) each side had."""
        return (self.n_a, self.n_b) if self.unit == "guest" else (self.runs_a, self.runs_b)

    def why(self, sides: tuple[str, str] = ("A", "B"), run: str = "run") -> str | None:
        """Why the verdict is `can't tell`, from the data (None for any other verdict). `sides` names
        A and B, `run` what a run is called (a bench's rounds)."""
        if self.verdict != CANT_TELL:
            return None
        word = "guest" if self.unit == "guest" else run
        a, b = self.units
        need = min_units(self.unit)
        why = f"its guests moved with their {run} (a side's {run}s differ), so each {run} is one sample: "
        why = why if self.runs_differ else ""
        if min(a, b) < need:
            return (
                why + f"{_count(a, word)} in {sides[0]} and {b} in {sides[1]}, too few for an interval ({need}+ a side)"
            )
        if self.interval is None:
            return why + f"its {word}s' values give no interval"  # scipy's NaN: not seen on real data
        low, high = (_ms(end, signed=True) for end in self.interval)
        band = _ms(self.band)
        return (
            why + f"its interval {low} … {high} is neither inside nor beyond ±{band}, the smallest change that counts"
        )

    def needs(self, sides: tuple[str, str] = ("A", "B"), run: str = "run") -> str | None:
        """What would let a `can't tell` be judged (None for any other verdict)."""
        return self.more(sides, run) if self.verdict == CANT_TELL else None

    def more(self, sides: tuple[str, str] = ("A", "B"), run: str = "run") -> str:
        """The data a narrower interval (or any interval) needs: `1 more guest in A`, `more runs a
        side (now 2 and 2) to narrow it`."""
        word = "guest" if self.unit == "guest" else run
        a, b = self.units
        need = min_units(self.unit)
        if min(a, b) >= need:
            return f"more {word}s a side (now {a} and {b})" + (" to narrow it" if self.interval else "")
        more_a, more_b = max(0, need - a), max(0, need - b)
        if more_a == more_b:
            where = f"{_count(more_a, 'more ' + word)} a side"
        elif not more_b:
            where = f"{_count(more_a, 'more ' + word)} in {sides[0]}"
        elif not more_a:
            where = f"{_count(more_b, 'more ' + word)} in {sides[1]}"
        else:
            where = f"{more_a} more in {sides[0]} and {more_b} in {sides[1]}"
        if self.unit == "run":
            repeat = f"--repeat {need} or more"
            where += f" (benches with {repeat})" if run == "run" else f" ({repeat})"
        return where

    def gate(self, fraction: float) -> str:
        """Is this metric slower than A by more than `fraction` of A's median, beyond the noise?
        `failed` when the whole interval lies above that line (and the band), `passed` when the
        whole interval lies at or below it, else `not judged` (no interval, one across the line,
        or a side that never measured it)."""
        if self.interval is None or self.median_a is None or self.band is None:
            return NOT_JUDGED
        line = max(fraction * abs(self.median_a), self.band)
        if self.interval[0] > line:
            return FAILED
        if self.interval[1] <= line:
            return PASSED
        return NOT_JUDGED

    def as_dict(self, run: str = "run") -> dict[str, object]:
        """The row for JSON; `run` is what a run is called in `why` and `needs`."""
        return {
            "metric": self.metric,
            "clock": self.clock,
            "unit": self.unit,
            "runs_differ": self.runs_differ,
            "n_a": self.n_a,
            "n_b": self.n_b,
            "runs_a": self.runs_a,
            "runs_b": self.runs_b,
            "median_a": _round(self.median_a),
            "median_b": _round(self.median_b),
            "difference": _round(self.difference),
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "ci95": None if self.interval is None else [_round(v) for v in self.interval],
            "p_value": None if self.p_value is None else round(self.p_value, 6),
            "verdict": self.verdict,
            "band": _round(self.band),
            "why": self.why(run=run),
            "needs": self.needs(run=run),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _ms(seconds: float | None, signed: bool = False) -> str:
    """Seconds for a sentence, as the tables print them (`+12.3 ms`, `0.42 ms`, `1.059 s`)."""
    if seconds is None:
        return "…"
    size = abs(seconds)
    text = f"{size:.3f} s" if size >= 1 else f"{size * 1000:.2f} ms" if size < 0.01 else f"{size * 1000:.1f} ms"
    if not signed:
        return ("−" if seconds < 0 else "") + text
    return ("+" if seconds > 0 else "−" if seconds < 0 else "±") + text


def _bootstrap(
    data: tuple[NDArray[np.float64], NDArray[np.float64]], statistic: object, method: Method
) -> tuple[float, float] | None:
    import numpy as np
    from scipy.stats import bootstrap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a degenerate distribution (every value equal) is fine here
        result = bootstrap(
            data,
            statistic,
            n_resamples=method.resamples,
            batch=max(1, BATCH_VALUES // max(len(values) for values in data)),
            vectorized=True,
            confidence_level=method.confidence,
            method="percentile",
            rng=np.random.default_rng(method.seed),
        )
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return None if math.isnan(low) or math.isnan(high) else (low, high)


def guest_interval(a: Sequence[float], b: Sequence[float], method: Method = Method()) -> tuple[float, float] | None:
    """Interval of median(b) - median(a), resampling each side's values; None with fewer than
    `MIN_GUESTS` values on a side (too few resamples for a percentile interval)."""
    if min(len(a), len(b)) < MIN_GUESTS:
        return None
    import numpy as np

    def statistic(x: NDArray[np.float64], y: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
        return _p50(y, axis) - _p50(x, axis)

    return _bootstrap((np.asarray(a, dtype=float), np.asarray(b, dtype=float)), statistic, method)


def _p50(values: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    """`figures.median` along an axis (nearest rank), for the bootstrap's vectorised resamples."""
    import numpy as np

    rank = max(1, math.ceil(0.5 * values.shape[axis]))
    lower: NDArray[np.float64] = np.take(np.sort(values, axis=axis), rank - 1, axis=axis)
    return lower


def run_interval(
    a: Sequence[Sequence[float]], b: Sequence[Sequence[float]], method: Method = Method()
) -> tuple[float, float] | None:
    """Interval of the difference of the runs' medians (Welch's t on one median per run); None with
    fewer than 2 runs on a side. Not a bootstrap: 3 rounds a side give 10 distinct resamples each,
    and a percentile interval over so few is far too narrow. Measured on 40 pairs of 3-round
    benches of one kernel (drawn from 12 runs of 8 guests): a cluster bootstrap called something
    "slower" or "faster" in 18 of them, Welch in 4."""
    if min(len(a), len(b)) < MIN_RUNS:
        return None
    from scipy.stats import ttest_ind

    medians_a = [median(run) for run in a]
    medians_b = [median(run) for run in b]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # runs with identical medians: no spread, no interval
        interval = ttest_ind(medians_b, medians_a, equal_var=False).confidence_interval(method.confidence)
    low, high = float(interval.low), float(interval.high)
    return None if math.isnan(low) or math.isnan(high) else (low, high)


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Two-sided p-value that A and B come from one distribution; None with fewer than 2 values on
    a side or nothing to rank (every value equal)."""
    if len(a) < 2 or len(b) < 2 or len(set(a) | set(b)) < 2:
        return None
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def verdict(median_a: float, interval: tuple[float, float] | None, method: Method = Method()) -> str:
    """`slower` (`faster`) when the whole interval lies above (below) the band of changes that do
    not count, `no change` when it lies wholly inside it (straddling 0 or not), else `can't tell`."""
    if interval is None:
        return CANT_TELL
    band = method.threshold(median_a)
    low, high = interval
    if low > band:
        return SLOWER
    if high < -band:
        return FASTER
    if -band <= low and high <= band:
        return NO_CHANGE
    return CANT_TELL


def compare_metric(
    metric: str,
    a: Sequence[Sequence[float]],
    b: Sequence[Sequence[float]],
    clocks: Counter[str],
    method: Method = Method(),
) -> MetricComparison:
    """One metric, each side given as its values grouped by run."""
    clock = clock_label(clocks) or "host"
    unit = unit_of(clock)
    differ = unit == "guest" and (runs_differ(a) or runs_differ(b))
    if differ:
        unit = "run"
    flat_a = [v for run in a for v in run]
    flat_b = [v for run in b for v in run]
    median_a = median(flat_a) if flat_a else None
    median_b = median(flat_b) if flat_b else None
    interval = p_value = None
    if median_a is not None and median_b is not None:
        if unit == "guest":
            interval, p_value = guest_interval(flat_a, flat_b, method), mann_whitney(flat_a, flat_b)
        else:
            interval = run_interval(a, b, method)
            p_value = mann_whitney([median(r) for r in a], [median(r) for r in b])
    return MetricComparison(
        metric=metric,
        clock=clock,
        unit=unit,
        runs_differ=differ,
        n_a=len(flat_a),
        n_b=len(flat_b),
        runs_a=len(a),
        runs_b=len(b),
        median_a=median_a,
        median_b=median_b,
        interval=interval,
        p_value=p_value,
        verdict=MISSING if median_a is None or median_b is None else verdict(median_a, interval, method),
        band=None if median_a is None or median_b is None else method.threshold(median_a),
    )


@dataclass(frozen=True, slots=True)
class CellComparison:
    key: str
    a: CellSamples
    b: CellSamples
    metrics: list[MetricComparison]


def compare_cell(key: str, a: CellSamples, b: CellSamples, method: Method = Method()) -> CellComparison:
    """Every metric either side measured, in table order (phases in boot order, then figures)."""
    known = [m for m in METRICS if m in a.values or m in b.values]
    others = sorted((set(a.values) | set(b.values)) - set(METRICS))
    rows = []
    for metric in known + others:
        clocks = a.clocks.get(metric, Counter()) + b.clocks.get(metric, Counter())
        rows.append(compare_metric(metric, a.by_run(metric), b.by_run(metric), clocks, method))
    return CellComparison(key, a, b, rows)


@dataclass(frozen=True, slots=True)
class Comparison:
    """Input B against the baseline A, cell by cell (the cells both have)."""

    a: Samples
    b: Samples
    cells: list[CellComparison]
    only_a: list[str]
    only_b: list[str]

    def gated(self, fraction: float, outcome: str) -> list[tuple[str, MetricComparison]]:
        """(cell, metric) whose gate at `fraction` of A's median says `outcome` (`MetricComparison.gate`)."""
        return [(c.key, m) for c in self.cells for m in c.metrics if m.gate(fraction) == outcome]

    def regressions(self, fraction: float) -> list[tuple[str, MetricComparison]]:
        """(cell, metric) slower than A by more than `fraction` of A's median beyond the noise."""
        return self.gated(fraction, FAILED)

    def not_judged(self, fraction: float) -> list[tuple[str, MetricComparison]]:
        """(cell, metric) the gate at `fraction` could not judge either way."""
        return self.gated(fraction, NOT_JUDGED)


def compare(a: Samples, b: Samples, method: Method = Method()) -> Comparison:
    common = [key for key in a.cells if key in b.cells]
    return Comparison(
        a,
        b,
        [compare_cell(key, a.cells[key], b.cells[key], method) for key in common],
        [key for key in a.cells if key not in b.cells],
        [key for key in b.cells if key not in a.cells],
    )
