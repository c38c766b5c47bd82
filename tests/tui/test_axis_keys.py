"""The bars' axis mode (`a`) and zoom (`z`, `[`, `]`), driven with Pilot over the shared-8 recording:
the fleet and the guest view each say which axis and zoom they show, and fit it."""

from __future__ import annotations

import pytest

from tests.tui.conftest import SIZE, replay_app, screen_text, settle
from uktrace.model.axis import IN_GUEST, AxisMode, Zoom
from uktrace.tui.screens.fleet import FleetScreen
from uktrace.tui.screens.guest import GuestScreen
from uktrace.tui.widgets.fleet_table import FleetTable, SortOrder
from uktrace.tui.widgets.header import FleetHeader

pytestmark = pytest.mark.anyio

SMALL = (60, 15)


def table_of(screen: object) -> FleetTable:
    assert isinstance(screen, FleetScreen)
    return screen.query_one(FleetTable)


async def test_a_cycles_the_axis_and_the_caption_says_which() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app.screen)
        assert "axis: host, since first spawn (a) · zoom: whole boot (z [ ])" in screen_text(app)
        host = table.window
        await pilot.press("a")
        assert table.mode is AxisMode.CONSOLE
        assert "axis: host, since first console line" in screen_text(app)
        await pilot.press("a")
        assert table.mode is AxisMode.GUEST
        text = screen_text(app)
        assert "axis: guest clock" in text
        # the guest clock: every boot in a fifth of a second or so, not the host's 1.5 s
        assert table.window.start == 0.0 and table.window.length < host.length / 2
        # the host phases cannot be on this axis: the legend leaves them out
        legend = app.screen.query_one(FleetHeader).legend_phases
        assert "firmware" not in legend and set(IN_GUEST) <= set(legend)
        assert "■ firmware" not in text
        await pilot.press("a")
        assert table.mode is AxisMode.HOST and table.window == host
        assert "■ firmware" in screen_text(app)


async def test_z_zooms_on_the_in_guest_phases_then_the_phase_under_focus() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app.screen)
        whole = table.window
        await pilot.press("z")
        assert table.zoom.preset == "guest"
        assert "zoom: in guest (platform_entry…exit)" in screen_text(app)
        # on the host axis the in-guest phases begin after spawn, gate and firmware: the window does too
        spans = [s for g in table.rows for s in table.spans(g) if s.phase in IN_GUEST]
        window = table.window
        assert 0 < window.start <= min(s.start for s in spans)
        assert window.end >= max(s.end for s in spans)
        assert window.length < whole.length
        # the phase under focus: the cursor guest's longest in-guest phase
        await pilot.press("z")
        assert table.zoom == Zoom("phase", "subsystems")
        assert "zoom: subsystems" in screen_text(app)
        await pilot.press("right_square_bracket")
        assert table.zoom == Zoom("phase", "init_table")
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert table.zoom == Zoom("phase", "constructors")
        await pilot.press("z")
        assert table.zoom.preset == "boot" and table.window == whole


async def test_the_phase_under_focus_is_the_one_the_fleet_is_sorted_by() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app.screen)
        table.set_order(SortOrder("mount", descending=True))
        await pilot.press("right_square_bracket")  # from the whole boot, straight to that phase
        assert table.zoom == Zoom("phase", "mount")
        mounts = [s for g in table.rows for s in table.spans(g) if s.phase == "mount"]
        assert table.window.start <= min(s.start for s in mounts)
        assert table.window.end >= max(s.end for s in mounts)
        assert table.window.length < 0.5  # the mounts, spread by the firmware's wait, not the 1.5 s boot
        await pilot.press("a", "a")  # the guest clock: fitted again, on that clock
        mounts = [s for g in table.rows for s in table.spans(g) if s.phase == "mount"]
        assert table.window.start <= min(s.start for s in mounts) < 0.2  # guest seconds now
        assert table.window.end >= max(s.end for s in mounts)
        assert table.window.start > 0.0


async def test_a_zoom_on_a_phase_nobody_reached_says_so() -> None:
    app = replay_app("crash-3")  # every guest crashed in main: nobody mounted
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app.screen)
        table.set_axis(zoom=Zoom("phase", "mount"))
        await pilot.pause()
        assert "zoom: mount (none yet: whole boot)" in screen_text(app)
        assert table.window.start == 0.0


async def test_the_guest_view_opens_on_the_fleets_axis_and_keeps_its_own() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", "a", "enter")
        screen = app.screen
        assert isinstance(screen, GuestScreen)
        assert screen.mode is AxisMode.GUEST
        text = screen_text(app)
        assert "axis: guest clock (a)" in text and "zoom: whole boot" in text
        await pilot.press("z")
        assert screen.zoom.preset == "guest"
        text = screen_text(app)
        assert "zoom: in guest (platform_entry…exit)" in text
        assert "■ firmware" not in text and "■ mount" in text  # the in-guest rows only
        await pilot.press("z")
        assert screen.zoom == Zoom("phase", "subsystems")  # this guest's longest in-guest phase
        text = screen_text(app)
        assert "■ subsystems" in text and "■ init_table" in text  # the window shows where it ends
        # the rest would push it out of sight (guest-1's clock ran 1.6x slow: on its corrected clock
        # subsystems ends at 215 ms, so the window reaches 300 ms and main, right after, shows)
        assert "■ spawn" not in text and "■ firmware" not in text
        await pilot.press("a")
        assert "axis: host, since spawn" in screen_text(app)
        await pilot.press("escape")
        assert table_of(app.screen).mode is AxisMode.GUEST and table_of(app.screen).zoom == Zoom()


async def test_at_60x15_nothing_overlaps() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for keys in ((), ("a",), ("a", "z")):
            await pilot.press(*keys)
            lines = screen_text(app).splitlines()
            assert len(lines) == 15 and all(len(line) <= 60 for line in lines)
            caption = next(n for n, line in enumerate(lines) if line.startswith("axis: "))
            # the header's lines, whole: the title, the details, the counts, the legend above the caption
            header = "\n".join(lines[:caption])
            assert (
                "8 guests" in header and "exited 8" in header and "1.263 s / 1.263 s" in header
            )  # a replay: its position
            assert "■ exit" in header  # the legend's last line is not cut off
            assert lines[caption + 1].startswith("guest ▲")
            assert lines[-1].lstrip().startswith("tab Summary")
        await pilot.press("enter")
        lines = screen_text(app).splitlines()
        assert lines[0].lstrip().startswith("guest-1  exited (0)")  # the view starts at its top
        assert any(line.startswith(" axis: guest clock · zoom: in guest") for line in lines)  # a a z above
