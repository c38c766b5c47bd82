"""The Theil-Sen slope and Sen's 95 % interval, in plain Python.

Why not scipy's `theilslopes`: the guest clock is fitted while guests boot, and importing
`scipy.stats` costs ~1 s of CPU (measured: 1.2 s of a 2.2 s `uktrace run --headless`) taken from the
guests uktrace measures. The estimator is a median of pairwise slopes; its interval is Sen (1968),
eq. 2.6. This module computes exactly what scipy 1.17's `theilslopes(y, x, alpha=0.95)` computes
(the same slopes, the same ties correction, the same rounding of the interval's ranks);
`tests/unit/test_theil_sen.py` checks it against scipy on random and tied data. Fits hold at most
`clock_rate.MAX_POINTS` points: 8,128 slopes, ~2 ms.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

Z_975 = statistics.NormalDist().inv_cdf(0.975)
"""The normal quantile of a two-sided 95 % interval (scipy: `norm.ppf(0.025)`, negated)."""


class Slope(NamedTuple):
    slope: float
    low: float
    high: float


def theil_sen(y: Sequence[float], x: Sequence[float]) -> Slope | None:
    """The median slope of y against x over every pair with distinct x, and its 95 % interval;
    None when no two x differ."""
    n = len(x)
    slopes: list[float] = []
    for i in range(n):
        # a row of pairs at a time, without indexing: a replay fits each console's clock as it grows
        xi, yi = x[i], y[i]
        slopes += [
            (yj - yi) / (xj - xi) if xj > xi else (yi - yj) / (xi - xj)
            for xj, yj in zip(x[i + 1 :], y[i + 1 :], strict=True)
            if xj != xi
        ]
    slopes.sort()
    if not slopes:
        return None
    count = len(slopes)
    variance = (n * (n - 1) * (2 * n + 5) - _ties(x) - _ties(y)) / 18
    if variance < 0:
        return Slope(statistics.median(slopes), math.nan, math.nan)
    sigma = math.sqrt(variance)
    upper = min(round((count + Z_975 * sigma) / 2), count - 1)
    lower = max(round((count - Z_975 * sigma) / 2) - 1, 0)
    return Slope(statistics.median(slopes), slopes[lower], slopes[upper])


def _ties(values: Sequence[float]) -> int:
    """Sen's correction for repeated values: the sum of k(k-1)(2k+5) over each group of k equal ones."""
    return sum(k * (k - 1) * (2 * k + 5) for k in Counter(values).values() if k > 1)
