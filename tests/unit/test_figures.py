"""The figure definitions (`uktrace.analysis.figures`) on the bundled recordings."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import replayed
from uktrace.analysis.figures import elapsed, guest_readings, guest_times, median, percentile

RECORDINGS = Path(__file__).resolve().parents[1] / "data" / "recordings"


def test_the_median_is_the_nearest_rank_p50() -> None:
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.0 == percentile([1.0, 2.0, 3.0, 4.0], 0.5)  # a guest's value
    assert median([3.0, 1.0, 2.0]) == 2.0


def test_the_fleets_total_so_far_leaves_the_gate_out_and_ends_at_the_guests_total() -> None:
    for guest in replayed("shared-8").guests:
        timeline = guest.timeline
        assert guest.spawn_ns is not None and guest.exit_ns is not None
        assert timeline.vmm_ready_ns is not None and timeline.release_ns is not None
        assert timeline.release_ns > timeline.vmm_ready_ns  # each waited at the gate
        # as it stood while it waited at the gate: the figure stands still until the release
        waiting = copy.copy(timeline)
        waiting.release_ns = waiting.exit_ns = None
        live = replace(guest, timeline=waiting, exit_ns=None)
        at_ready = (timeline.vmm_ready_ns - guest.spawn_ns) / 1e9
        assert elapsed(live, timeline.vmm_ready_ns) == pytest.approx(at_ready, abs=1e-9)
        assert elapsed(live, timeline.release_ns) == pytest.approx(at_ready, abs=1e-9)
        # once exited: the guest's `total`, whatever the clock says now
        total = guest_times(timeline, guest.wall_s).total
        assert total is not None and guest.wall_s is not None and total < guest.wall_s
        assert elapsed(guest, guest.exit_ns + 10**9) == pytest.approx(total, abs=1e-9)


def test_a_crashed_guest_counts_what_it_measured_before_the_crash() -> None:
    for guest in replayed("crash-3").guests:
        counted = guest_readings(guest)
        measured = {p.name for p in guest.timeline.phases() if p.duration is not None}
        assert guest.timeline.status.value == "crashed" and {"main", "exit"} <= measured
        # main ended at the crash, exit at the process's end: neither is what the phase takes
        assert set(counted) == (measured - {"main", "exit"}) | {"boot"}
        assert guest_times(guest.timeline, guest.wall_s).total is not None  # shown per guest, not pooled
