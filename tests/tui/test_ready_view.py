"""`--ready` and console scripts in the TUI, over a real recording (`tests/data/servers/serve-3`: three
test guests in server mode, `uktrace run -n 3 --append "uktrace.era=0.10 uktrace.serve=100" --ready
'Listening on' --expect Listening --send hello --expect 'echo: hello' --send quit`; kept apart from
`tests/data/recordings`, whose listing other tests count)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.tui.conftest import SIZE, FakeProcess, RecordingFleet, screen_text, settle, still
from uktrace.tui.app import UktraceApp
from uktrace.tui.screens.guest import GuestScreen
from uktrace.tui.screens.summary import SummaryScreen
from uktrace.tui.widgets.fleet_table import FleetTable, SortOrder

pytestmark = pytest.mark.anyio

SERVE_3 = Path("tests/data/servers/serve-3")
"""Relative to the repository root, where the TUI tests run."""


def replay_app(name: str) -> UktraceApp:
    return still(UktraceApp(RecordingFleet(SERVE_3), title=f"uktrace replay {name}"))


async def test_the_fleet_shows_each_guests_time_to_ready_and_sorts_by_it() -> None:
    app = replay_app("serve-3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "■ ready" in screen_text(app)  # the legend lists it: these guests look for a ready line
        app.screen.query_one(FleetTable).set_order(SortOrder("ready", descending=True))
        await pilot.pause()
        # name … elapsed, then the sort column: the ready phase's duration
        rows = re.findall(r"^(guest-\d) .*? ms +(\d+\.\d) ms ", screen_text(app), re.MULTILINE)
        ready = {g.name: g.timeline.phase("ready").duration for g in app.fleet.guests}  # type: ignore[union-attr]
        slowest_first = sorted(ready, key=lambda name: -ready[name])
        assert [name for name, _ in rows] == slowest_first
        assert [float(ms) for _, ms in rows] == [round(ready[name] * 1000, 1) for name in slowest_first]


async def test_the_guest_view_shows_ready_and_each_step_and_typing_still_works() -> None:
    app = replay_app("serve-3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, GuestScreen)
        text = screen_text(app)
        # this guest's unstamped ready line came in one chunk with the stamp before it: the stamps
        # around it place it on the guest clock (corrected when its calibration was disturbed)
        assert re.search(r"ready in \d+\.\d ms \(guest clock(, corrected)?\): Listening on port 8080", text)
        assert re.search(r"script 1 ✓ expect 'Listening' → send 'hello'  matched, sent \d", text)
        assert re.search(r"2 ✓ expect 'echo: hello' → send 'quit'  matched, sent \d", text)
        assert "  ■ ready" in text  # a row nested under main, on both clocks
        process = FakeProcess()
        app.screen.guest.process = process  # type: ignore[assignment]
        await pilot.press("i", *"status", "enter")
        assert process.written == [b"status\r"]


async def test_the_summary_has_the_ready_figure() -> None:
    app = replay_app("serve-3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        assert isinstance(app.screen, SummaryScreen)
        text = screen_text(app)
        assert "boot / mount / main / ready / total" in text
        assert re.search(r"^\s+ready\s+3\s", text, re.MULTILINE)
