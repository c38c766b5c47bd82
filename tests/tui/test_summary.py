"""The summary view over real recordings: what `tab` shows, that it shows at once (the sections
brought up to date by the redraw timer after that frame), and that a section whose figures did
not change is not rendered again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from rich.console import Console
from textual.pilot import Pilot

from tests.conftest import Wall
from tests.tui.conftest import RECORDINGS, SIZE, replay_app, screen_text, settle, still
from uktrace.analysis.figures import guest_times
from uktrace.analysis.stats import distribution
from uktrace.present.units import format_seconds
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.app import UktraceApp
from uktrace.tui.screens.fleet import FleetScreen
from uktrace.tui.screens.summary import SummaryScreen
from uktrace.tui.widgets.rendered import Rendered

pytestmark = pytest.mark.anyio
MS = 1_000_000


def section(app: UktraceApp, name: str) -> str:
    """A summary section's text as it stands (rendered or not yet drawn)."""
    console = Console(width=SIZE[0], record=True, file=None, force_terminal=False)
    with console.capture() as captured:
        console.print(app.screen.query_one(f"#{name}", Rendered).renderable)
    return captured.get()


async def until_shown(pilot: Pilot[Any], words: str) -> str:
    with anyio.fail_after(10):
        while words not in (text := screen_text(pilot.app)):  # type: ignore[arg-type]
            await pilot.pause(0.02)
    return text


async def until_drawn(pilot: Pilot[Any], name: str, words: str) -> str:
    """A section's text once it holds `words` (it may lie below the fold)."""
    with anyio.fail_after(10):
        while words not in (text := section(pilot.app, name)):  # type: ignore[arg-type]
            await pilot.pause(0.02)
    return text


async def test_tab_shows_the_summary_with_each_guests_figures() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        assert isinstance(app.screen, SummaryScreen)
        text = await until_shown(pilot, "total per guest: 8 guests")
        totals = {g.name: guest_times(g.timeline, g.wall_s).total for g in app.fleet.guests}
        known = [t for t in totals.values() if t is not None]
        expected = distribution(known)
        assert expected is not None and len(known) == 8
        slowest = sorted(totals, key=lambda name: -(totals[name] or 0.0))[:5]
        rows = [line.split() for line in section(app, "slowest").splitlines()[2:]]
        assert [(row[0], " ".join(row[1:3])) for row in rows] == [
            (name, format_seconds(totals[name])) for name in slowest
        ]
        total_row = next(line for line in section(app, "times").splitlines() if line.strip().startswith("total"))
        assert format_seconds(expected.p50) in total_row and format_seconds(expected.max) in total_row
        assert "none" in await until_drawn(pilot, "failures", "failures")
        assert "total per guest" in text


async def test_a_switch_shows_the_summary_as_it_was_and_brings_it_up_to_date_after() -> None:
    wall = Wall()
    fleet = ReplayFleet(RECORDINGS / "shared-8", speed=1, wall=wall)
    app = still(UktraceApp(fleet, title="uktrace replay shared-8", screenshot_dir=Path("/nonexistent")))
    async with app.run_test(size=SIZE) as pilot:
        fleet.pause()
        fleet.seek(fleet.playback.start + 300 * MS)  # mid-boot: no guest has finished
        await pilot.press("tab")
        await until_shown(pilot, "no guest has finished a boot yet")
        await pilot.press("tab")
        assert isinstance(app.screen, FleetScreen)
        fleet.seek(fleet.playback.end)  # every guest has finished
        app.action_view("summary")  # what tab does: the key's handler recomputes nothing
        assert isinstance(app.screen, SummaryScreen)
        assert "no guest has finished a boot yet" in section(app, "times")
        await until_shown(pilot, "total per guest: 8 guests")  # the redraw timer's next tick
        assert "total" in section(app, "times")


async def test_a_section_whose_figures_did_not_change_is_not_rendered_again(monkeypatch: pytest.MonkeyPatch) -> None:
    app = replay_app("crash-3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        await until_drawn(pilot, "failures", "failures: 3")
        screen = app.screen
        assert isinstance(screen, SummaryScreen)
        rendered: list[str | None] = []
        real = Rendered.update
        monkeypatch.setattr(Rendered, "update", lambda self, what: rendered.append(self.id) or real(self, what))
        screen.draw(app.fleet.guests)  # the same figures: nothing to render
        assert rendered == []
        await pilot.resize_terminal(SIZE[0] - 10, SIZE[1])  # narrower: the charts and axes are drawn again
        await pilot.pause(0.3)
        screen.draw(app.fleet.guests)
        assert sorted(rendered) == ["histogram", "phase-stats", "times"]
