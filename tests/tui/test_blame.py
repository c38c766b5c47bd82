"""The blame view (`3`): each boot function (and named part: the TSC calibration, the firmware's
parts) across the fleet's guests, the table `uktrace blame` prints, sortable, and enter opens the
guest with the slowest run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.conftest import log
from tests.tui.conftest import (
    RECORDINGS,
    SIZE,
    RecordingFleet,
    many_guests,
    replay_app,
    screen_text,
    settle,
    still,
    symbols_read,
)
from uktrace.analysis.naming import guest_symbols
from uktrace.parsers.phases import PARENTS
from uktrace.recording.logs import trace_log
from uktrace.tui.app import UktraceApp
from uktrace.tui.screens.blame import BlameScreen
from uktrace.tui.screens.fleet import FleetScreen
from uktrace.tui.screens.guest import GuestScreen
from uktrace.tui.screens.summary import SummaryScreen

pytestmark = pytest.mark.anyio

BY_P95 = [
    "tsc_calibration",
    "vfscore_rootfs",
    "uk_bus_init_all",
    "virtio_9p_register",
    "pci_bus_register",
    "uk_libparam_report",
    "virtio_pci_register",
]
"""shared-8's functions and parts as `uktrace blame tests/data/recordings/shared-8` orders them."""
FIRMWARE = Path("tests/data/firmware/firmware-2")
"""Two test guests run with `--no-gate --firmware-timing`: the firmware's parts."""


def functions(app: UktraceApp) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def enter_on(pilot: Pilot[UktraceApp], name: str) -> None:
    """Move the cursor down to the row of `name` (from the top), then press enter."""
    for _ in range(functions(pilot.app).index(name)):
        await pilot.press("down")
    await pilot.press("enter")


async def test_3_opens_it_from_fleet_and_summary_and_s_cycles_the_order() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await symbols_read(pilot)
        assert isinstance(app.screen, BlameScreen)
        assert functions(app) == BY_P95
        text = screen_text(app)
        # 5 of the 8 guests' clocks ran 1.4-1.6x slow: their figures are corrected
        assert "vfscore_rootfs       libvfscore  init_table         8  21.8 ms  37.1 ms  guest (part corrected)" in text
        assert "6 functions and 1 part across 8 guests" in text and "sorted by p95 (s)" in text
        await pilot.press("s")
        assert functions(app)[:3] == ["tsc_calibration", "uk_bus_init_all", "vfscore_rootfs"]  # by p50
        assert "sorted by p50 (s)" in screen_text(app)
        await pilot.press("s")
        assert "sorted by guests (s)" in screen_text(app)  # every row ran on all 8: by name
        assert functions(app) == sorted(BY_P95)
        await pilot.press("s")
        assert "sorted by name (s)" in screen_text(app)
        await pilot.press("s")
        assert functions(app) == BY_P95
        await pilot.press("tab")
        assert isinstance(app.screen, FleetScreen)
        await pilot.press("2", "3")
        assert isinstance(app.screen, BlameScreen)
        assert len(app.screen_stack) == 3  # default, fleet, blame: views never pile up


async def test_enter_opens_the_guest_with_the_slowest_run() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await symbols_read(pilot)
        runs = {
            guest.name: call.duration
            for guest in app.fleet.guests
            for call in guest.timeline.calls(guest_symbols(guest))
            if call.name == "virtio_9p_register"
        }
        slowest = max(runs, key=lambda name: runs[name] or 0.0)
        await enter_on(pilot, "virtio_9p_register")
        assert isinstance(app.screen, GuestScreen)
        assert app.screen.guest.name == slowest
        await pilot.press("escape")
        assert isinstance(app.screen, BlameScreen)
        assert functions(app)[app.screen.query_one(DataTable).cursor_row] == "virtio_9p_register"


@pytest.mark.parametrize(("recording", "part"), [("shared-8", "tsc_calibration"), ("firmware", "option_roms")])
async def test_enter_on_a_part_opens_the_guest_where_it_lasted_longest(recording: str, part: str) -> None:
    fleet = RecordingFleet(FIRMWARE if recording == "firmware" else RECORDINGS / recording)
    app = still(UktraceApp(fleet, title=recording))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await symbols_read(pilot)
        lasted = {guest.name: phase.duration for guest in app.fleet.guests if (phase := guest.timeline.phase(part))}
        assert len(lasted) == len(app.fleet.guests) and len(set(lasted.values())) > 1
        table = app.screen.query_one(DataTable)
        row = table.get_row_at(functions(app).index(part))
        assert [str(cell) for cell in row[1:4]] == ["", PARENTS[part], str(len(lasted))]  # no library, its phase
        await enter_on(pilot, part)
        assert isinstance(app.screen, GuestScreen)
        assert app.screen.guest.name == max(lasted, key=lambda name: lasted[name] or 0.0)


async def test_guests_without_call_lines_get_the_clis_hint() -> None:
    fleet = await many_guests("shared-8", 2)
    silent = trace_log(log("016"))  # 0.17, no debug print: no call line
    fleet.guests = [replace(g, timeline=silent) for g in fleet.guests]
    app = still(UktraceApp(fleet, title="silent"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await symbols_read(pilot)
        text = screen_text(app)
        assert "0 functions across 2 guests" in text  # and no part: the 0.17 log calibrates no TSC
        assert "2 of 2 printed no call lines: guest-1, guest-2" in text
        assert "build with CONFIG_LIBUKDEBUG_PRINTD=y" in text


async def test_escape_from_it_goes_back_to_the_fleet() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("3", "escape")
        assert isinstance(app.screen, FleetScreen)
