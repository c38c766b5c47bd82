"""The guest clock's Theil-Sen fit computes what scipy's `theilslopes` computes (without importing it
while guests boot)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import theilslopes

from uktrace.model.theil_sen import theil_sen

points = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=40).map(lambda v: v / 8),  # few distinct x: ties
        st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_subnormal=False),
    ),
    min_size=2,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(points)
def test_the_same_slope_and_interval_as_scipy(pairs: list[tuple[float, float]]) -> None:
    x = [p[0] for p in pairs]
    y = [p[1] for p in pairs]
    ours = theil_sen(y, x)
    if len(set(x)) < 2:
        assert ours is None
        return
    assert ours is not None
    theirs = theilslopes(y, x, alpha=0.95)
    for mine, scipys in zip(ours, (theirs.slope, theirs.low_slope, theirs.high_slope), strict=True):
        assert (math.isnan(mine) and math.isnan(scipys)) or mine == pytest.approx(scipys, rel=1e-12, abs=1e-12)


def test_a_guest_clock_running_at_half_speed() -> None:
    """Stamps against host seconds, one noisy point: the slope and an interval that holds it."""
    host = [0.01 * i for i in range(30)]
    stamps = [0.5 * h for h in host]
    stamps[7] += 0.2  # one chunk read late
    slope, low, high = theil_sen(stamps, host) or (0.0, 0.0, 0.0)
    assert slope == pytest.approx(0.5)
    assert low <= 0.5 <= high
