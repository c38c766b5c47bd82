"""A quiet guest: when it counts as stalled, and how what its QEMU does is put into words."""

from __future__ import annotations

from pathlib import Path

from uktrace.model.guest import STALL_FIRST_S, STALL_S, Guest, Stall
from uktrace.model.spec import GuestSpec
from uktrace.model.timeline import BootTimeline, Status
from uktrace.parsers import Record
from uktrace.present.timeline import stall_note

SECOND = 1_000_000_000


def guest(**host: int | None) -> Guest:
    spec = GuestSpec(name="guest-1", kernel=Path("k.elf"), accel="tcg")
    made = Guest(0, spec, [], BootTimeline("guest-1"))
    made.spawn_ns = host.get("spawn_ns", 0)
    made.timeline.release_ns = host.get("release_ns")
    made.last_output_ns = host.get("last_output_ns")
    return made


def test_quiet_counts_from_the_last_output_else_from_the_start() -> None:
    assert guest(last_output_ns=2 * SECOND).quiet_s(5 * SECOND) == 3.0
    assert guest(release_ns=1 * SECOND).quiet_s(5 * SECOND) == 4.0  # released, never printed
    assert guest().quiet_s(5 * SECOND) == 5.0  # no gate: since spawn


def test_a_guest_held_at_the_gate_or_over_is_not_quiet() -> None:
    held = guest()
    held.gated = True
    assert held.quiet_s(60 * SECOND) is None
    over = guest(last_output_ns=0)
    over.timeline.status = Status.EXITED
    assert over.quiet_s(60 * SECOND) is None and not over.stalled(60 * SECOND)


def test_the_last_record_stands_in_for_the_last_output_in_a_replay() -> None:
    replayed = guest()
    replayed.records.append(Record(0, "other", "x", b"x\n", "x", host_ns=4 * SECOND))
    assert replayed.quiet_s(5 * SECOND) == 1.0


def test_stalled_from_the_threshold_on() -> None:
    quiet = guest(last_output_ns=0)
    quiet.first_byte_ns = 0
    assert not quiet.stalled(int((STALL_S - 0.1) * SECOND))
    assert quiet.stalled(int(STALL_S * SECOND))


def test_before_its_first_line_the_silent_firmware_gets_longer() -> None:
    silent = guest(release_ns=0)  # released, nothing printed yet: SeaBIOS runs
    assert not silent.stalled(int(STALL_S * SECOND)) and not silent.stalled(int((STALL_FIRST_S - 0.1) * SECOND))
    assert silent.stalled(int(STALL_FIRST_S * SECOND))


def test_what_the_qemu_does_in_words() -> None:
    assert Stall(None, "R").describe() == "QEMU alive"
    assert Stall(0.98, "R").describe() == "QEMU busy (98 % CPU): the guest runs and prints nothing"
    assert Stall(0.0, "S").describe() == "QEMU idle (0 % CPU): the guest waits (halted, or for input)"
    assert Stall(0.1, "S").describe() == "QEMU at 10 % CPU"
    quiet = guest(last_output_ns=0)
    quiet.first_byte_ns = 0
    quiet.stall = Stall(0.98, "R")
    assert stall_note(quiet, 7 * SECOND) == "no output for 7 s; QEMU busy (98 % CPU): the guest runs and prints nothing"
    assert stall_note(guest(last_output_ns=6 * SECOND), 7 * SECOND) is None
