"""Is B slower than A? Per cell and metric: the medians, a confidence interval of their
difference, a Mann–Whitney U p-value, and a verdict.

Medians, because boot times are skewed, with stragglers. What counts as one sample depends on the
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

The verdict is `slower` (`faster`) only when the whole interval lies beyond the smallest change
that counts: `min_effect` of A's median (sub-percent shifts that a large bench makes
statistically clear are not news) and `floor_s` (phases of a millisecond or two move by more than
5 % with every time slice the host scheduler takes from a vCPU). Asking the whole interval, not
only the point estimate, to clear that bar is what makes two runs of one kernel come out
"no change" on every metric at once, not only on most. Measured on the 66 pairs of those 12 runs
(guest-clock metrics): "interval excludes 0 and the median moved by > 5 %" called something in
26 pairs, adding a 5 ms floor in 17, the whole interval beyond both in 1; a 30 ms longer `main`
(6 more runs) was called `slower` in all 72 of its pairs, and nothing else was.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .samples import METRICS, Cell, Samples
from .stats import clock_label

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
            "interval": "guest clock: percentile bootstrap over guests (fixed seed); "
            "host clock: Welch's t over run medians, none with fewer than 2 runs a side",
            "test": "Mann-Whitney U, two-sided (guests, or run medians)",
            "verdict": "the whole interval beyond max(min_effect * median(A), floor_s)",
            "min_effect": self.min_effect,
            "floor_s": self.floor_s,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
        }


def unit_of(clock: str) -> str:
    """What a metric's interval resamples: `guest` on the guest clock (corrected or not), `run`
    otherwise (see above)."""
    return "guest" if all(part.startswith("guest") for part in clock.split("+")) else "run"


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """One metric of one cell, A against B (seconds)."""

    metric: str
    clock: str
    unit: str
    """`guest` or `run`: what the interval and the test resampled."""
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
    """`slower`, `faster`, `no change`, or `missing` when one side never measured it."""

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

    def slower_beyond_noise(self, fraction: float) -> bool:
        """Called slower, and even the interval's lower bound is more than `fraction` of A's median."""
        if self.verdict != "slower" or self.interval is None or self.median_a is None:
            return False
        return self.interval[0] > fraction * self.median_a

    def as_dict(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "clock": self.clock,
            "unit": self.unit,
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
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


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
    """Interval of median(b) - median(a), resampling each side's values; None with fewer than 2
    values on a side (one value has no spread to resample)."""
    if len(a) < 2 or len(b) < 2:
        return None
    import numpy as np

    def statistic(x: NDArray[np.float64], y: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
        return np.median(y, axis=axis) - np.median(x, axis=axis)

    return _bootstrap((np.asarray(a, dtype=float), np.asarray(b, dtype=float)), statistic, method)


def run_interval(
    a: Sequence[Sequence[float]], b: Sequence[Sequence[float]], method: Method = Method()
) -> tuple[float, float] | None:
    """Interval of the difference of the runs' medians (Welch's t on one median per run); None with
    fewer than 2 runs on a side. Not a bootstrap: 3 rounds a side give 10 distinct resamples each,
    and a percentile interval over so few is far too narrow. Measured on 40 pairs of 3-round
    benches of one kernel (drawn from 12 runs of 8 guests): a cluster bootstrap called something
    "slower" or "faster" in 18 of them, Welch in 4."""
    if len(a) < 2 or len(b) < 2:
        return None
    from scipy.stats import ttest_ind

    medians_a = [statistics.median(run) for run in a]
    medians_b = [statistics.median(run) for run in b]
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
    """`slower` (`faster`) when the whole interval lies above (below) the smallest change that counts."""
    if interval is None:
        return "no change"
    threshold = method.threshold(median_a)
    if interval[0] > threshold:
        return "slower"
    if interval[1] < -threshold:
        return "faster"
    return "no change"


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
    flat_a = [v for run in a for v in run]
    flat_b = [v for run in b for v in run]
    median_a = statistics.median(flat_a) if flat_a else None
    median_b = statistics.median(flat_b) if flat_b else None
    interval = p_value = None
    if median_a is not None and median_b is not None:
        if unit == "guest":
            interval, p_value = guest_interval(flat_a, flat_b, method), mann_whitney(flat_a, flat_b)
        else:
            interval = run_interval(a, b, method)
            p_value = mann_whitney([statistics.median(r) for r in a], [statistics.median(r) for r in b])
    return MetricComparison(
        metric=metric,
        clock=clock,
        unit=unit,
        n_a=len(flat_a),
        n_b=len(flat_b),
        runs_a=len(a),
        runs_b=len(b),
        median_a=median_a,
        median_b=median_b,
        interval=interval,
        p_value=p_value,
        verdict="missing" if median_a is None or median_b is None else verdict(median_a, interval, method),
    )


@dataclass(frozen=True, slots=True)
class CellComparison:
    key: str
    a: Cell
    b: Cell
    metrics: list[MetricComparison]


def compare_cell(key: str, a: Cell, b: Cell, method: Method = Method()) -> CellComparison:
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

    def regressions(self, fraction: float) -> list[tuple[str, MetricComparison]]:
        """(cell, metric) slower than A by more than `fraction` of A's median beyond the noise."""
        return [(c.key, m) for c in self.cells for m in c.metrics if m.slower_beyond_noise(fraction)]


def compare(a: Samples, b: Samples, method: Method = Method()) -> Comparison:
    common = [key for key in a.cells if key in b.cells]
    return Comparison(
        a,
        b,
        [compare_cell(key, a.cells[key], b.cells[key], method) for key in common],
        [key for key in a.cells if key not in b.cells],
        [key for key in b.cells if key not in a.cells],
    )
