"""A replay's keys and its place in the header: pause, step, seek, speed.

Only a recording can be steered (`ReplayFleet`); with a live fleet these keys are neither shown
nor active (`available`). The keys are printable characters no view binds, so they act the same
in every view and never fight a table's or the console's arrows, `home` and `end` (the cursor,
scrolling) or a prompt (a prompt takes what is typed into it). `space` pauses and plays, as in
most players; `p` is the guest view's phase table, so it is not a second pause key here.
"""

from __future__ import annotations

import math
from typing import Any

from textual.app import App
from textual.binding import Binding

from uktrace.model.guest import FleetView, Guest
from uktrace.model.text import markup
from uktrace.recording.clock import faster, slower, speed_label
from uktrace.recording.replay import ReplayFleet

SEEK_FRACTION = 0.1
"""`<` and `>` move by a tenth of the run: runs last from 0.1 s (one guest) to tens of seconds."""

BINDINGS = [
    Binding("space", "replay('toggle')", "Pause"),
    Binding("comma", "replay('back')", "Step back", show=False),
    Binding("full_stop", "replay('step')", "Step", show=False),
    Binding("less_than_sign", "replay('rewind')", "Seek back", show=False),
    Binding("greater_than_sign", "replay('forward')", "Seek forward", show=False),
    Binding("left_curly_bracket", "replay('start')", "Start", show=False),
    Binding("right_curly_bracket", "replay('end')", "End", show=False),
    Binding("minus", "replay('slower')", "Slower", show=False),
    Binding("plus,equals_sign", "replay('faster')", "Faster", show=False),
]
"""The app's replay keys (action `replay`): active only for a recording. The footer is full at 120
columns already: it shows `space`, the help screen (`?`) every key."""


def replay_of(fleet: FleetView) -> ReplayFleet | None:
    return fleet if isinstance(fleet, ReplayFleet) else None


def available(fleet: FleetView) -> bool:
    """Whether the replay keys apply (the app's `check_action`: False hides them)."""
    return replay_of(fleet) is not None


def command(app: App[Any], fleet: FleetView, name: str, guest: Guest | None = None) -> None:
    """Do what a replay key asks; say so when there is nowhere to go. A step follows `guest` only
    when given (the guest view's), else every guest."""
    replay = replay_of(fleet)
    if replay is None:
        return
    playback = replay.playback
    length = playback.end - playback.start
    if name == "toggle":
        replay.toggle()
    elif name in ("step", "back"):
        stop = replay.step(1 if name == "step" else -1, guest)
        if stop is None:
            where = "later" if name == "step" else "earlier"
            app.notify(f"no {where} phase change{f' of {markup(guest.name)}' if guest else ''}", timeout=3)
        else:
            app.notify(what_changed(replay.changed_at(stop) if guest is None else [guest]), timeout=2)
    elif name in ("rewind", "forward"):
        sign = 1 if name == "forward" else -1
        replay.seek(playback.now() + sign * max(1, math.ceil(length * SEEK_FRACTION)))  # 10 x: the end
    elif name == "start":
        replay.seek(playback.start)
    elif name == "end":
        replay.seek(playback.end)
    elif name in ("faster", "slower"):
        replay.set_rate(faster(playback.rate) if name == "faster" else slower(playback.rate))


def what_changed(guests: list[Guest], shown: int = 3) -> str:
    """`guest-7: mount`, `guest-2: exit, exited, process ended`: where a step stopped, in words."""
    lines = []
    for guest in guests[:shown]:
        timeline = guest.timeline
        phases = timeline.phases()
        words = [phases[-1].name if phases else "waiting"]
        if timeline.status.finished:
            words.append(timeline.status.value)
        if guest.exit_ns is not None:
            words.append("process ended")
        lines.append(f"{markup(guest.name)}: {', '.join(words)}")
    if len(guests) > shown:
        lines.append(f"and {len(guests) - shown} more")
    return "\n".join(lines)


def status(fleet: FleetView, now: int) -> str | None:
    """`replay ▶ 2×  1.230 s / 4.560 s`, `replay ‖ paused 2× …`, `replay ■ end 2× …`; None for a live run.
    `now` is the instant every view draws (the app's clock). Text-presentation glyphs only: ⏸ and
    ⏹ are drawn as two-cell emoji by some terminals and fonts, which shifts the rest of the line."""
    replay = replay_of(fleet)
    if replay is None:
        return None
    playback = replay.playback
    speed = speed_label(playback.rate)
    if playback.ended:
        state = f"■ end {speed}"
    elif playback.paused:
        state = f"‖ paused {speed}"
    else:
        state = f"▶ {speed}"
    position = (min(max(now, playback.start), playback.end) - playback.start) / 1e9
    length = (playback.end - playback.start) / 1e9
    return f"replay {state}  {position:.3f} s / {length:.3f} s"
