"""compare's resampling holds a bounded amount of memory however many guests it compares
(issue 21: 96 KB a guest before, 5.7 GB for 60,000). Memory, not time, is asserted: a peak
resident size is the same on a loaded host."""

from __future__ import annotations

import subprocess
import sys

MEASURE = """
import resource
import numpy as np
from uktrace.analysis.compare import guest_interval
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rng = np.random.default_rng(1)
values = 8000
interval = guest_interval(list(rng.normal(1, 0.1, values)), list(rng.normal(1.01, 0.1, values)))
assert interval is not None
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_resampling_8000_guests_a_side_stays_within_100_mb() -> None:
    result = subprocess.run([sys.executable, "-c", MEASURE], capture_output=True, text=True, check=True)
    grown_kb = int(result.stdout.strip())
    assert grown_kb < 100 * 1024, f"resampling grew the process by {grown_kb / 1024:.0f} MB"  # 750 MB unbatched
