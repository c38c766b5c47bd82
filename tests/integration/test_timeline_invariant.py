"""Every era of the test guest and every fault knob, booted once in real QEMU: the timeline of the
run holds the invariant (`tests.invariant`: top-level phases cover spawn to the VMM's exit with no
hole or overlap; nested phases and calls lie inside what they are drawn under), in the model the
recording replays into and in the export spans made from the run's JSON."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from tests.integration.conftest import run_json
from tests.invariant import violations
from uktrace.export.spans import guest_spans
from uktrace.recording.replay import ReplayFleet

ERAS = ["0.4", "0.5", "0.10", "0.17"]
FAULTS = ["crash", "assert", "hang", "garbage", "mountfail", "weakmain", "flood=64"]
CASES = [f"uktrace.era={era}" for era in ERAS] + [f"uktrace.era=0.17 uktrace.fault={f}" for f in FAULTS]


@pytest.mark.parametrize("append", CASES)
def test_no_hole_and_truthful_nesting(tmp_path: Path, share: Path, append: str) -> None:
    recording = tmp_path / "rec"
    timeout = "3" if "hang" in append else "30"
    result, _ = run_json("--append", append, "--fs", str(share), "--record", str(recording), "--timeout", timeout)
    (guest,) = result["guests"]
    fleet = ReplayFleet(recording, speed=0)
    anyio.run(fleet.run)
    (replayed,) = fleet.guests
    timeline = replayed.timeline
    assert timeline.status.finished and timeline.first_guest_line is not None
    assert violations(timeline) == []
    names = [p.name for p in timeline.phases()]
    assert names[:4] == ["spawn", "gate", "firmware", "platform_entry"]  # the kernel's first line on
    for clock in ("host", "guest"):
        spans = guest_spans(guest, clock)
        assert spans and not [s.name for s in spans if s.clamped], clock  # no child poked out of its parent
