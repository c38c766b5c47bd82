"""How the views look, fed by deterministic replays (speed 0) of real recordings at a fixed size.

Update after an intended change with `pytest tests/tui --snapshot-update`, and look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from textual.pilot import Pilot

from tests.conftest import Wall
from tests.tui.conftest import RECORDINGS, SIZE, replay_app, settle, still, symbols_read
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.app import UktraceApp
from uktrace.tui.widgets.fleet_table import SORT_KEYS
from uktrace.tui.widgets.rendered import Rendered

TALL = (120, 50)


def test_fleet_view(snap_compare: Any) -> None:
    assert snap_compare(replay_app("shared-8"), terminal_size=SIZE, run_before=settle)


def test_fleet_view_with_crashes(snap_compare: Any) -> None:
    assert snap_compare(replay_app("crash-3"), terminal_size=SIZE, run_before=settle)


def test_fleet_view_sorted_by_a_phase(snap_compare: Any) -> None:
    async def sorted_by_platform_entry(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("s", *["down"] * SORT_KEYS.index("platform_entry"), "enter")

    assert snap_compare(replay_app("shared-8"), terminal_size=SIZE, run_before=sorted_by_platform_entry)


def open_guest(*keys: str) -> Any:
    """Settle, open a guest with `keys`, and wait until its functions are named."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await symbols_read(pilot)

    return run_before


def test_guest_view(snap_compare: Any) -> None:
    # waits for the symbols like the others: under load the view could be taken before they are read
    assert snap_compare(replay_app("shared-8"), terminal_size=SIZE, run_before=open_guest("down", "down", "enter"))


def test_guest_view_with_its_functions(snap_compare: Any) -> None:
    run_before = open_guest("down", "down", "enter", "c")
    assert snap_compare(replay_app("shared-8"), terminal_size=SIZE, run_before=run_before)


def test_guest_view_of_a_crash(snap_compare: Any) -> None:
    assert snap_compare(replay_app("crash-3"), terminal_size=SIZE, run_before=open_guest("enter"))


def summary_after(key: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Settle, switch to the summary, and wait until its sections are drawn: they follow the
    switch's frame by a timer (`SummaryScreen.shown`), which a loaded host may not have fired yet
    when the snapshot is taken."""

    async def switched(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(key)
        with anyio.fail_after(10):
            while pilot.app.screen.query_one("#failures", Rendered).renderable == "":
                await pilot.pause(0.02)
        await pilot.pause()

    return switched


def test_summary_view(snap_compare: Any) -> None:
    assert snap_compare(replay_app("shared-8"), terminal_size=TALL, run_before=summary_after("tab"))


def test_summary_view_with_failures(snap_compare: Any) -> None:
    assert snap_compare(replay_app("crash-3"), terminal_size=TALL, run_before=summary_after("2"))


def test_blame_view(snap_compare: Any) -> None:
    async def blame_named(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("3")
        await symbols_read(pilot)  # every guest's functions named from the recording's table

    assert snap_compare(replay_app("shared-8"), terminal_size=SIZE, run_before=blame_named)


SMALL = (60, 15)


def test_fleet_view_at_60x15(snap_compare: Any) -> None:
    assert snap_compare(replay_app("shared-8"), terminal_size=SMALL, run_before=settle)


def test_guest_view_at_60x15(snap_compare: Any) -> None:
    assert snap_compare(replay_app("shared-8"), terminal_size=SMALL, run_before=open_guest("enter"))


def test_fleet_view_on_the_guest_clock_zoomed_in_guest(snap_compare: Any) -> None:
    assert snap_compare(replay_app("shared-8"), press=["a", "a", "z"], terminal_size=SIZE, run_before=settle)


def test_fleet_view_zoomed_on_mount(snap_compare: Any) -> None:
    """The host axis from 950 ms: every guest's mount (and its neighbours) across the fleet."""
    press = [
        "s",
        *["down"] * SORT_KEYS.index("mount"),
        "enter",
        "right_square_bracket",
    ]  # sorted by mount, zoomed on it
    assert snap_compare(replay_app("shared-8"), press=press, terminal_size=SIZE, run_before=settle)


def test_fleet_view_of_a_replay_paused_mid_boot(snap_compare: Any) -> None:
    """Six tenths into the run, paused: the header says so, the rows stand where the boot stood."""
    fleet = ReplayFleet(RECORDINGS / "shared-8", speed=1, wall=Wall())  # time moves only by the keys
    app = still(UktraceApp(fleet, title="uktrace replay shared-8"))
    assert snap_compare(app, press=["greater_than_sign"] * 6 + ["space"], terminal_size=SIZE)
