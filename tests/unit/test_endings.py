"""What the TUI leaves on the terminal: why each guest that did not end cleanly ended."""

from __future__ import annotations

from pathlib import Path

from uktrace.cli.headless import ENDINGS_SHOWN, endings
from uktrace.model.guest import Guest
from uktrace.model.spec import GuestSpec
from uktrace.model.timeline import BootTimeline, Ending, Status


def guest(index: int, status: Status, reason: str | None = None, code: int | None = None) -> Guest:
    timeline = BootTimeline(f"guest-{index}", status=status, exit_code=code)
    if reason is not None:
        timeline.ending = Ending(reason, reason, "0x10317c app_divide+0x1c" if status is Status.CRASHED else None)
    return Guest(index, GuestSpec(f"guest-{index}", Path("k"), "tcg"), [], timeline)


def test_each_distinct_ending_once_with_its_guests() -> None:
    guests = [
        guest(1, Status.CRASHED, "Unhandled Trap 0 (divide error)"),
        guest(2, Status.EXITED, code=0),
        guest(3, Status.CRASHED, "Unhandled Trap 0 (divide error)"),
        guest(4, Status.EXITED, code=3),
        guest(5, Status.RUNNING),
    ]
    text = endings(guests)
    assert text is not None
    assert text.plain.splitlines() == [
        "2 crashed: Unhandled Trap 0 (divide error) at 0x10317c app_divide+0x1c (guest-1, guest-3)",
        "1 exited (3) (guest-4)",
    ]
    assert endings([guest(1, Status.EXITED, code=0)]) is None


def test_many_endings_are_capped_and_counted() -> None:
    guests = [guest(i, Status.FAILED, f"reason {i}") for i in range(ENDINGS_SHOWN + 3)]
    guests += [guest(100 + i, Status.FAILED, "shared") for i in range(6)]
    text = endings(guests)
    assert text is not None
    lines = text.plain.splitlines()
    assert len(lines) == ENDINGS_SHOWN + 1
    assert lines[-1] == "… and 4 more reasons (9 guests): `uktrace replay --headless` of the recording lists them"
