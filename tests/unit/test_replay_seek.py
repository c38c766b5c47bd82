"""Steering a replay without a terminal: the model at an instant is the same whether the replay
played there, sought back to it or stepped to it; pausing stops the model; steps stop where a
phase or status changes. The wall clock is injected, so nothing here waits on real time."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from tests.conftest import DATA, Wall
from uktrace.model.json_shape import timeline_dict
from uktrace.recording.replay import ReplayFleet

RECORDINGS = DATA / "recordings"


def model(fleet: ReplayFleet) -> list[dict[str, Any]]:
    """Everything a view reads of each guest: phases on both clocks, status, crash, counts, host facts."""
    return [
        timeline_dict(g.timeline) | {"host": g.host_dict(), "records": [r.seq for r in g.records]} for g in fleet.guests
    ]


def straight_to(name: str, host_ns: int) -> list[dict[str, Any]]:
    """The model of a fresh replay played forwards to `host_ns` and no further."""
    fleet = ReplayFleet(RECORDINGS / name, speed=0)
    fleet.seek(host_ns)
    return model(fleet)


def instants(fleet: ReplayFleet) -> list[int]:
    """Every step boundary, the instant before each, and the ends."""
    boundaries = sorted({b for tape in fleet.tapes for b in tape.boundaries()})
    return sorted({fleet.playback.start, fleet.playback.end, *boundaries, *(b - 1 for b in boundaries)})


@pytest.mark.parametrize("name", ["shared-8", "crash-3", "format-1-crash-3"])
def test_seeking_back_then_forward_shows_what_playing_straight_there_shows(name: str) -> None:
    fleet = ReplayFleet(RECORDINGS / name, speed=0)
    anyio.run(fleet.run)
    played_through = model(fleet)
    guests = list(fleet.guests)
    for instant in reversed(instants(fleet)):  # every seek goes back
        fleet.seek(instant)
        assert model(fleet) == straight_to(name, instant), instant
    fleet.seek(fleet.playback.end)
    assert model(fleet) == played_through
    assert all(a is b for a, b in zip(fleet.guests, guests, strict=True))  # views keep their guests


def test_a_seek_back_is_seen_by_views_as_a_change() -> None:
    fleet = ReplayFleet(RECORDINGS / "crash-3", speed=0)
    anyio.run(fleet.run)
    before = [g.changes for g in fleet.guests]
    fleet.seek(fleet.playback.start)
    assert all(g.changes > seen for g, seen in zip(fleet.guests, before, strict=True))
    assert all(g.spawn_ns is None or g.spawn_ns == fleet.playback.start for g in fleet.guests)
    assert fleet.finished_ns is None and fleet.counts()["crashed"] == 0


def test_paused_the_model_stands_still_and_played_it_moves_at_the_rate() -> None:
    wall = Wall()
    fleet = ReplayFleet(RECORDINGS / "shared-8", speed=1, wall=wall)
    start = fleet.playback.start
    fleet.play()
    wall.advance(40)
    fleet.pause()
    assert fleet.clock() == start + 40_000_000
    at_pause = model(fleet)
    assert at_pause == straight_to("shared-8", start + 40_000_000)
    wall.advance(1_000)
    fleet.pause()
    assert fleet.clock() == start + 40_000_000 and model(fleet) == at_pause
    fleet.set_rate(0.5)
    fleet.play()
    wall.advance(20)
    fleet.pause()
    assert fleet.clock() == start + 50_000_000
    assert model(fleet) == straight_to("shared-8", start + 50_000_000)


def test_play_at_the_end_starts_over() -> None:
    wall = Wall()
    fleet = ReplayFleet(RECORDINGS / "crash-3", speed=1, wall=wall)
    fleet.seek(fleet.playback.end)
    assert fleet.playback.ended and fleet.finished_ns is not None
    fleet.play()
    assert fleet.clock() == fleet.playback.start and not fleet.playback.paused
    assert fleet.finished_ns is None


def test_steps_stop_at_each_phase_or_status_change_forwards_and_back() -> None:
    fleet = ReplayFleet(RECORDINGS / "shared-8", speed=0)
    start, end = fleet.playback.start, fleet.playback.end
    boundaries = sorted({b for tape in fleet.tapes for b in tape.boundaries()})
    assert (boundaries[0], boundaries[-1]) == (start, end)  # the first spawn, the last exit
    fleet.seek(start)
    forwards = []
    while (stop := fleet.step(1)) is not None:
        assert fleet.playback.paused and fleet.clock() == stop
        forwards.append(stop)
    assert forwards == boundaries[1:] and fleet.clock() == end
    backwards = []
    while (stop := fleet.step(-1)) is not None:
        backwards.append(stop)
    assert backwards == boundaries[-2::-1] and fleet.clock() == start
    # each stop shows something new: the phases, a status or an exit moved since the instant before
    for stop in boundaries[1:]:
        assert straight_to("shared-8", stop) != straight_to("shared-8", stop - 1)
        assert fleet.changed_at(stop) and not fleet.changed_at(stop - 1)


def test_a_step_can_follow_one_guest() -> None:
    fleet = ReplayFleet(RECORDINGS / "shared-8", speed=0)
    guest = fleet.guests[3]
    fleet.seek(fleet.playback.start)
    stops = []
    while (stop := fleet.step(1, guest)) is not None:
        stops.append(stop)
    assert stops == fleet.tapes[3].boundaries()
    phases = [p.name for p in guest.timeline.phases()]
    assert len(stops) >= len(phases) and phases[0] == "spawn"


def test_the_player_keeps_going_after_a_seek_back() -> None:
    async def main() -> None:
        fleet = ReplayFleet(RECORDINGS / "crash-3", speed=100)
        async with anyio.create_task_group() as group:
            group.start_soon(fleet.run, True)
            with anyio.fail_after(5):
                while fleet.finished_ns is None:
                    await anyio.sleep(0.01)
            ended = model(fleet)
            fleet.seek(fleet.playback.start)
            assert fleet.finished_ns is None
            fleet.play()  # the player wakes and feeds it all again, at its pace
            with anyio.fail_after(5):
                while fleet.finished_ns is None:
                    await anyio.sleep(0.01)
            assert model(fleet) == ended
            fleet.stop()

    anyio.run(main)
