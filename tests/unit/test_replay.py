"""Replaying the bundled recordings, no QEMU needed: a recording names its crash from its own
symbols, the speed of a replay never changes what it shows, and a format-1 recording (before
recordings kept gate times and their kernel) still replays with what it has."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import DATA, replayed
from uktrace.model.json_shape import timeline_dict
from uktrace.model.timeline import Status
from uktrace.recording.replay import ReplayFleet

RECORDINGS = DATA / "recordings"


def shown(fleet: ReplayFleet) -> list[dict[str, Any]]:
    return [timeline_dict(g.timeline) | {"host": g.host_dict()} for g in fleet.guests]


def recorded(name: str) -> list[dict[str, Any]]:
    session = json.loads((RECORDINGS / name / "session.json").read_text())
    return [json.loads((RECORDINGS / name / guest / "guest.json").read_text()) for guest in session["guests"]]


def test_a_recording_names_its_crash_from_its_own_symbols() -> None:
    fleet = replayed("crash-3")
    for guest, meta in zip(fleet.guests, recorded("crash-3"), strict=True):
        assert (RECORDINGS / "crash-3" / meta["kernel_image"]["symbols"]).is_file()
        assert guest.timeline.ending is not None
        assert guest.timeline.ending.where == meta["crash"]["where"] == "0x1031bc app_divide+0x1c"
        # the gate's events, fed at their recorded times: the same phases as the live run
        assert [p.name for p in guest.timeline.phases()][:3] == ["spawn", "gate", "firmware"]
        assert {k: guest.host_dict()[k] for k in ("spawn_ns", "ready_ns", "release_ns", "exit_ns")} == {
            k: meta["host"][k] for k in ("spawn_ns", "ready_ns", "release_ns", "exit_ns")
        }
    releases = [meta["host"]["release_ns"] for meta in recorded("crash-3")]
    assert fleet.start_spread() == (max(releases) - min(releases)) / 1e9
    assert (fleet.started_ns, fleet.clock()) == (
        min(meta["host"]["spawn_ns"] for meta in recorded("crash-3")),
        max(meta["host"]["exit_ns"] for meta in recorded("crash-3")),
    )


def test_the_speed_of_a_replay_changes_nothing_it_shows() -> None:
    assert shown(replayed("crash-3", speed=50)) == shown(replayed("crash-3", speed=0))


def test_a_format_1_recording_replays_with_what_it_has() -> None:
    fleet = replayed("format-1-crash-3")
    metas = recorded("format-1-crash-3")
    assert "format" not in json.loads((RECORDINGS / "format-1-crash-3" / "session.json").read_text())
    for guest, meta in zip(fleet.guests, metas, strict=True):
        timeline = guest.timeline
        assert timeline.status is Status.CRASHED and timeline.ending is not None
        assert timeline.ending.reason == meta["crash"]["reason"] == "Unhandled Trap 0 (divide error), error code=0x0"
        # no gate times were recorded: the VMM's start lasts until the first byte (the firmware FIFO's here)
        assert [p.name for p in timeline.phases()][:3] == ["spawn", "firmware", "platform_entry"]
        # named only if a kernel still sits at the recorded absolute path, and then maybe wrongly
        assert timeline.ending.where is not None and timeline.ending.where.split()[0] == "0x10317c"
        assert guest.integrity == "ok" and guest.received == meta["host"]["bytes"]
    spawns = [meta["host"]["spawn_ns"] for meta in metas]
    assert fleet.start_spread() == (max(spawns) - min(spawns)) / 1e9
