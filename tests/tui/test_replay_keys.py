"""A replay's keys, driven with Pilot: pause stops the clock, seeking back then forward shows what
playing straight through shows, speed changes the rate, steps stop at phase changes, and the
header says where the replay stands. The replay's wall clock is moved by hand, so the only time
that passes is the time a test lets pass. A live run has none of these keys."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.conftest import Wall
from tests.tui.conftest import RECORDINGS, SIZE, many_guests, screen_text, settle, still
from uktrace.recording.clock import INSTANT
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.app import UktraceApp
from uktrace.tui.screens.guest import GuestScreen
from uktrace.tui.widgets.console_view import ConsoleView

pytestmark = pytest.mark.anyio
MS = 1_000_000


def steered(recording: str, speed: float = 1.0) -> tuple[UktraceApp, ReplayFleet, Wall]:
    wall = Wall()
    fleet = ReplayFleet(RECORDINGS / recording, speed=speed, wall=wall)
    app = still(UktraceApp(fleet, title=f"uktrace replay {recording}", screenshot_dir=Path("/nonexistent")))
    return app, fleet, wall


def seen(fleet: ReplayFleet) -> list[tuple[Any, ...]]:
    """Per guest what the views show: status, exit code, phases on both clocks, records, lines."""
    return [
        (
            g.name,
            g.timeline.status,
            g.timeline.exit_code,
            [(p.name, p.host_start, p.host_end, p.guest_start, p.guest_end) for p in g.timeline.phases()],
            len(g.records),
            g.timeline.lines,
            g.received,
        )
        for g in fleet.guests
    ]


def played_to(recording: str, host_ns: int) -> list[tuple[Any, ...]]:
    fleet = ReplayFleet(RECORDINGS / recording, speed=0)
    fleet.seek(host_ns)
    return seen(fleet)


async def header(pilot: Pilot[Any]) -> str:
    """The header as a user reads it, drawn at the clock's instant."""
    app = pilot.app
    assert isinstance(app, UktraceApp)
    app.tick()
    await pilot.pause()
    return "\n".join(screen_text(app).splitlines()[:3])


async def test_pause_stops_the_clock_and_the_model_and_play_resumes() -> None:
    app, fleet, wall = steered("shared-8")
    start = fleet.playback.start
    async with app.run_test(size=SIZE) as pilot:
        keys = {active.binding.action for active in app.screen.active_bindings.values()}
        assert {"replay('toggle')", "replay('step')", "replay('rewind')", "replay('faster')"} <= keys
        await pilot.pause()
        assert "space Pause" in screen_text(app).splitlines()[-1]  # the footer
        wall.advance(300)
        await pilot.press("space")
        assert fleet.playback.paused and fleet.clock() == start + 300 * MS
        paused = seen(fleet)
        assert paused == played_to("shared-8", start + 300 * MS)
        wall.advance(5_000)
        await pilot.pause(0.05)
        app.tick()
        assert fleet.clock() == start + 300 * MS and seen(fleet) == paused
        assert "replay ‖ paused 1×  0.300 s / 1.263 s" in await header(pilot)
        await pilot.press("space")
        wall.advance(100)
        assert fleet.clock() == start + 400 * MS and not fleet.playback.paused
        assert "replay ▶ 1×  0.400 s / 1.263 s" in await header(pilot)


async def test_seeking_back_then_forward_shows_what_playing_straight_through_shows() -> None:
    app, fleet, _ = steered("shared-8")
    start, end = fleet.playback.start, fleet.playback.end
    through = played_to("shared-8", end)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_curly_bracket")  # `}`: the end
        assert seen(fleet) == through and fleet.playback.ended
        assert "replay ■ end 1×  1.263 s / 1.263 s" in await header(pilot)
        await pilot.press("less_than_sign", "less_than_sign", "less_than_sign")  # back 3 tenths
        assert fleet.clock() == end - 3 * math.ceil((end - start) / 10)
        assert seen(fleet) == played_to("shared-8", fleet.clock())
        assert seen(fleet) != through and fleet.counts()["booting"] > 0
        await pilot.press("greater_than_sign", "greater_than_sign", "greater_than_sign")
        assert seen(fleet) == through
        await pilot.press("left_curly_bracket")  # `{`: the start
        assert fleet.clock() == start and seen(fleet) == played_to("shared-8", start)
        await pilot.press(*["greater_than_sign"] * 10)  # ten tenths: the end
        assert fleet.playback.ended and seen(fleet) == through


async def test_speed_keys_change_the_rate_the_clock_runs_at() -> None:
    app, fleet, wall = steered("shared-8")
    start = fleet.playback.start
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        assert fleet.playback.rate == 2
        wall.advance(100)
        assert fleet.clock() == start + 200 * MS
        assert "replay ▶ 2×  0.200 s" in await header(pilot)
        await pilot.press("minus", "minus", "minus")
        assert fleet.playback.rate == 0.25
        wall.advance(100)
        assert fleet.clock() == start + 225 * MS
        await pilot.press(*["plus"] * 8)  # 0.5 1 2 5 10 100 instant, and no further
        assert fleet.playback.rate == INSTANT and fleet.playback.ended
        assert seen(fleet) == played_to("shared-8", fleet.playback.end)
        assert "replay ■ end instant  1.263 s / 1.263 s" in await header(pilot)


async def test_steps_pause_at_the_next_and_previous_phase_change(monkeypatch: pytest.MonkeyPatch) -> None:
    app, fleet, _ = steered("shared-8")
    notes: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **_: notes.append(message))
    boundaries = sorted({b for tape in fleet.tapes for b in tape.boundaries()})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("full_stop")
        assert fleet.playback.paused and fleet.clock() == boundaries[1]
        await pilot.press("full_stop", "full_stop", "comma")
        assert fleet.clock() == boundaries[2]
        assert seen(fleet) == played_to("shared-8", boundaries[2])
        await pilot.press("left_curly_bracket", "comma")  # nothing before the start: says so
        assert fleet.clock() == fleet.playback.start
        # each stop says which guest moved and to what
        assert notes == [
            "guest-2: spawn",
            "guest-3: spawn",
            "guest-4: spawn",
            "guest-3: spawn",
            "no earlier phase change",
        ]


async def test_in_a_guest_view_a_step_follows_that_guest_and_its_console_rewinds() -> None:
    app, fleet, _ = steered("shared-8", speed=0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        screen = app.screen
        assert isinstance(screen, GuestScreen) and screen.guest is fleet.guests[2]
        console = screen.query_one(ConsoleView)
        lines = len(console.records)
        assert lines > 0
        await pilot.press("left_curly_bracket")
        await pilot.pause()
        app.tick()
        assert console.records == []
        own = [b for b in fleet.tapes[2].boundaries() if b > fleet.playback.start]
        for stop in own[:3]:
            await pilot.press("full_stop")
            assert fleet.clock() == stop
        await pilot.press("right_curly_bracket")
        await pilot.pause()
        app.tick()
        assert len(console.records) == lines
        assert f"{lines} lines" in screen_text(app)


async def test_a_prompt_takes_the_keys_it_is_typed() -> None:
    app, fleet, _ = steered("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"a b+-.,<>[]")
        assert app.screen.query_one("#filter", Input).value == "a b+-.,<>[]"
        assert not fleet.playback.paused and fleet.playback.rate == 1


async def test_a_live_run_has_no_replay_keys() -> None:
    app = still(UktraceApp(await many_guests("shared-8", 3), title="uktrace run"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.check_action("replay", ("toggle",)) is False
        assert not any(active.binding.action.startswith("replay") for active in app.screen.active_bindings.values())
        await pilot.press("space", "full_stop", "less_than_sign", "plus")
        assert "replay" not in await header(pilot)
        assert "Pause" not in screen_text(app).splitlines()[-1]  # the footer
        assert not app.errors
