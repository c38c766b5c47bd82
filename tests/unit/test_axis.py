"""The timeline axis, per mode and zoom: where each phase goes, and which window a zoom fits."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from tests.conftest import DATA
from uktrace.model.axis import (
    IN_GUEST,
    TOP_LEVEL,
    AxisMode,
    Placement,
    Span,
    Window,
    Zoom,
    fit,
    longest,
    nice_axis,
    place,
    placement,
    snapped,
    spans_of,
)
from uktrace.model.calls import Call
from uktrace.model.guest import Guest
from uktrace.model.spec import GuestSpec
from uktrace.model.timeline import BootTimeline, Phase
from uktrace.recording.replay import ReplayFleet

HOST, CONSOLE, GUEST = AxisMode.HOST, AxisMode.CONSOLE, AxisMode.GUEST

BOOT = [
    Phase("spawn", host_start=0.0, host_end=0.3),
    Phase("gate", host_start=0.3, host_end=0.4),
    Phase("firmware", host_start=0.4, host_end=0.7),
    Phase("platform_entry", 0.0, 0.0, 0.7, 0.71),
    Phase("subsystems", 0.0, 0.12, 0.71, 0.9),
    Phase("mount", 0.12, 0.14, 0.9, 0.95),
    Phase("9p_handshake", 0.121, 0.14, 0.9, 0.95),
    Phase("main", 0.14, 0.16, 0.95, 0.98),
    Phase("exit", 0.16, None, 0.98, 1.0),
]
"""A finished boot: first console line at 0.7 s (host), the guest's last stamp 0.17 s."""
FINISHED = Placement(offset=0.2, first_line=0.7, guest_now=0.17)


def names(spans: list[Span]) -> list[str]:
    return [span.phase for span in spans]


def test_host_mode_places_phases_from_the_guests_spawn_on_the_fleet_axis() -> None:
    spans = spans_of(BOOT, HOST, FINISHED)
    assert names(spans) == [p.name for p in BOOT if p.name != "9p_handshake"]  # nested: inside mount
    assert spans[0] == Span("spawn", 0.2, 0.5)
    assert spans[-1] == Span("exit", pytest.approx(1.18), pytest.approx(1.2))  # type: ignore[arg-type]


def test_console_mode_starts_every_bar_at_the_first_console_line() -> None:
    spans = spans_of(BOOT, CONSOLE, FINISHED)
    assert names(spans) == ["platform_entry", "subsystems", "mount", "main", "exit"]  # host phases off the axis
    assert spans[0].start == 0.0
    assert spans[2] == Span("mount", pytest.approx(0.2), pytest.approx(0.25))  # type: ignore[arg-type]
    assert spans_of(BOOT[:3], CONSOLE, Placement()) == []  # no console line yet: nothing on this axis


def test_guest_mode_uses_the_guests_stamps() -> None:
    spans = spans_of(BOOT, GUEST, FINISHED)
    assert names(spans) == ["platform_entry", "subsystems", "mount", "main", "exit"]
    # stamped 0.000000 before the timer ran: no width, but still in its place
    assert spans[0] == Span("platform_entry", 0.0, 0.0)
    assert spans[2] == Span("mount", 0.12, 0.14)
    # the process ended exit: it lasts until the last stamp, a lower bound
    assert spans[-1] == Span("exit", 0.16, 0.17)
    # no stamps at all (a phase begun before any printk line): left out
    assert place("banner", Phase("banner", host_start=1.0, host_end=1.1), GUEST, FINISHED) is None


def test_an_open_phase_grows_until_now_on_each_clock() -> None:
    running = [Phase("spawn", host_start=0.0, host_end=0.1), Phase("firmware", host_start=0.1, host_end=0.3)]
    running.append(Phase("subsystems", 0.0, None, 0.3, None))
    now = Placement(offset=0.0, first_line=0.3, host_now=0.5, guest_now=0.08)
    assert spans_of(running, HOST, now)[-1] == Span("subsystems", 0.3, 0.5)
    assert spans_of(running, CONSOLE, now) == [Span("subsystems", 0.0, pytest.approx(0.2))]  # type: ignore[arg-type]
    assert spans_of(running, GUEST, now) == [Span("subsystems", 0.0, 0.08)]
    # finished and open (a host phase the process ended): no growth
    assert place("firmware", Phase("firmware", host_start=0.1), HOST, Placement()) == Span("firmware", 0.1, 0.1)


def test_calls_are_placed_like_phases() -> None:
    call = Call("init_table", "init", 0x1000, guest_start=0.13, guest_end=0.135, host_start=0.92, host_end=0.93)
    assert place("init_table", call, GUEST, FINISHED) == Span("init_table", 0.13, 0.135)
    assert place("init_table", call, HOST, FINISHED) == Span("init_table", pytest.approx(1.12), pytest.approx(1.13))  # type: ignore[arg-type]


def test_modes_cycle_and_say_what_they_show() -> None:
    assert [HOST.next(), CONSOLE.next(), GUEST.next()] == [CONSOLE, GUEST, HOST]
    assert [mode.label for mode in AxisMode] == [
        "host, since first spawn",
        "host, since first console line",
        "guest clock",
    ]


def test_windows_snap_so_a_moving_range_keeps_its_window() -> None:
    assert snapped(0.7389, 0.88) == Window(0.7, 0.2)
    # a range that grows a little inside the window: the same window
    assert snapped(0.72, 0.89) == snapped(0.7389, 0.88)
    # a range that no longer fits: the next nice length
    assert snapped(0.7389, 0.95) == Window(0.7, 0.3)
    for low, high in ((0.0, 0.0), (0.123, 0.1231), (1.234, 9.87), (0.95, 1.05)):
        window = snapped(low, high)
        assert window.start <= low and window.end >= high
        assert window.length == nice_axis(window.length)


def test_the_whole_boot_starts_at_the_axis_zero() -> None:
    spans = [spans_of(BOOT, HOST, FINISHED), spans_of(BOOT, HOST, Placement())]
    assert fit(spans, Zoom()) == Window(0.0, 1.5)
    assert fit([], Zoom()) == Window(0.0, nice_axis(0))


def test_a_zoom_fits_its_phases_across_the_guests() -> None:
    late = Placement(offset=0.3, first_line=0.7, guest_now=0.17)
    spans = [spans_of(BOOT, HOST, FINISHED), spans_of(BOOT, HOST, late)]
    # in guest: from the first guest's platform_entry (0.9) to the last guest's exit (1.3)
    assert fit(spans, Zoom("guest")) == Window(0.9, 0.4)
    window = fit(spans, Zoom("phase", "mount"))
    assert window is not None and window.start <= 1.1 and window.end >= 1.25
    assert window.length <= 0.2
    # the window's own coordinates: what a bar of `length` seconds draws
    assert window.shift([Span("mount", 1.1, 1.15)]) == [
        Span("mount", pytest.approx(1.1 - window.start), pytest.approx(1.15 - window.start))  # type: ignore[arg-type]
    ]
    # nobody reached it yet
    assert fit(spans, Zoom("phase", "init_table")) is None


def test_zoom_presets_cycle_and_step_through_phases() -> None:
    zoom = Zoom()
    assert zoom.label == "whole boot" and zoom.phases == TOP_LEVEL
    zoom = zoom.cycled(focus="mount")
    assert zoom.label == "in guest (platform_entry…exit)" and zoom.phases == IN_GUEST
    zoom = zoom.cycled(focus="mount")
    assert (zoom.preset, zoom.label, zoom.phases) == ("phase", "mount", ("mount",))
    assert zoom.stepped(1).phase == "banner"  # the nested 9P handshake is inside mount
    assert zoom.stepped(-1).phase == "bus_probe"
    assert Zoom("phase", "exit").stepped(1).phase == "spawn"
    assert zoom.cycled().preset == "boot"
    # from another preset, a step zooms on the phase under focus
    assert Zoom().stepped(1, focus="subsystems") == Zoom("phase", "subsystems")
    assert Zoom().cycled(focus="9p_handshake").cycled(focus="9p_handshake").phase == "main"  # not a bar's phase


def test_the_longest_in_guest_phase_is_the_first_to_zoom_on() -> None:
    assert longest(spans_of(BOOT, HOST, FINISHED)) == "subsystems"  # firmware is longer, but a host phase
    assert longest([]) is None


def test_a_recorded_boot_makes_in_guest_phases_readable_on_the_guest_clock() -> None:
    """shared-8: on an 80-cell host axis the shortest mount is under a cell; on the guest clock and
    from the first console line, more than twice that."""
    fleet = ReplayFleet(DATA / "recordings" / "shared-8", speed=0)
    anyio.run(fleet.run)
    origin = min(g.spawn_ns for g in fleet.guests if g.spawn_ns is not None)
    now = max(g.exit_ns for g in fleet.guests if g.exit_ns is not None)

    def mount_cells(mode: AxisMode) -> float:
        spans = [spans_of(g.timeline.phases(), mode, placement(g, origin, now)) for g in fleet.guests]
        window = fit(spans, Zoom())
        assert window is not None
        widths = [s.end - s.start for guest in spans for s in guest if s.phase == "mount"]
        return min(widths) / window.length * 80

    host, console, guest = (mount_cells(mode) for mode in AxisMode)
    assert host < 1
    assert guest > 2 * host and console > 2 * host
    first = fleet.guests[0]
    where = placement(first, origin, now)
    assert where.host_now is None  # exited: nothing grows
    assert where.first_line is not None and where.guest_now == first.timeline.guest_now
    spans = spans_of(first.timeline.phases(), GUEST, where)
    after = IN_GUEST.index("subsystems") + 1  # the TSC calibration, drawn over subsystems
    assert [s.phase for s in spans] == [*IN_GUEST[:after], "tsc_calibration", *IN_GUEST[after:]]


def test_a_relaunched_guest_is_drawn_where_it_first_started() -> None:
    guest = Guest(0, GuestSpec(name="guest-1", kernel=Path("k.elf"), accel="tcg"), [], BootTimeline("guest-1"))
    origin = 1_000_000_000
    guest.spawn_ns = origin + 185_000_000_000  # relaunched three minutes after the run began
    guest.exit_ns = guest.spawn_ns + 100_000_000
    assert placement(guest, origin, guest.exit_ns).offset == 185.0  # without its first start: minutes away
    guest.first_spawn_ns = origin + 2_000_000  # its first attempt started 2 ms after the fleet's first
    assert placement(guest, origin, guest.exit_ns).offset == 0.002
