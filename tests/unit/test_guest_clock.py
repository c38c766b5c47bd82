"""The guest clock's rate against the host's, on the bundled recordings (real test guests on this
2-core machine, TCG): which guests calibrated their TSC wrong, by how much, and how their
guest-clock figures are corrected. The estimates each guest printed are in its console
(`grep -ah "frequency estimate" tests/data/recordings/*/guest-*/console.raw`)."""

from __future__ import annotations

import random

import pytest

from tests.conftest import DATA, log, replayed
from uktrace.model.clock_rate import (
    CORRECTED,
    MAX_POINTS,
    ClockReference,
    ClockSamples,
    RateFit,
    assess,
    fit_rate,
    median_bounds,
    pooled,
    slowdown_text,
)
from uktrace.model.json_shape import timeline_dict
from uktrace.model.theil_sen import theil_sen
from uktrace.model.timeline import BootTimeline
from uktrace.parsers import ConsoleParser
from uktrace.parsers.clock import tsc_estimate_hz
from uktrace.recording.logs import trace_log
from uktrace.recording.replay import ReplayFleet

RECORDINGS = DATA / "recordings"


def test_the_calibration_line_gives_the_estimate() -> None:
    assert tsc_estimate_hz("Clock source: TSC, frequency estimate is 3880527560 Hz") == 3880527560
    assert tsc_estimate_hz("Clock source: TSC, frequency estimate is 0 Hz") is None
    assert tsc_estimate_hz("Calibrating TSC clock against i8254 timer") is None


def test_shared_8_five_guests_calibrated_their_tsc_too_high_and_are_corrected() -> None:
    fleet = replayed("shared-8")
    clocks = {g.name: g.timeline.guest_clock() for g in fleet.guests}
    estimates = {name: clock.tsc_estimate_hz for name, clock in clocks.items()}
    # what the consoles printed: three near the host's TSC, five 1.4-1.6x above it
    assert sorted(e for e in estimates.values() if e is not None)[:3] == [2456867840, 2462624360, 2464852880]
    reference = next(iter(clocks.values())).reference
    assert reference is not None and reference.guests == 8
    # every guest's fit times its estimate gives one frequency: the host's TSC, which none printed
    # (2.444 GHz; 8 guests: the median's interval is their whole range, 2.38-2.45 GHz)
    assert 2.35e9 < reference.low_hz <= reference.hz <= reference.high_hz < 2.50e9
    assert reference.hz == pytest.approx(2.444e9, rel=0.005)
    skewed = sorted(name for name, clock in clocks.items() if clock.skewed)
    assert skewed == ["guest-1", "guest-2", "guest-5", "guest-6", "guest-7"]
    for clock in clocks.values():
        assert clock.source == "tsc" and clock.rate is not None and clock.tsc_estimate_hz is not None
        assert clock.rate == pytest.approx(reference.hz / clock.tsc_estimate_hz)
        if clock.skewed:
            assert 0.55 < clock.rate < 0.75 and clock.tsc_estimate_hz > 3.4e9
        else:  # within 5 % (2.46 GHz estimates: 0.6 % off): left as printed, never relabelled
            assert abs(clock.rate - 1) <= 0.05 and clock.correction is None
        # each guest's own stamps against the host's say the same within 10 %
        assert clock.fit is not None and clock.fit.rate == pytest.approx(clock.rate, rel=0.10)


def test_a_skewed_guest_s_figures_are_divided_by_its_rate_and_say_so() -> None:
    fleet = replayed("shared-8")
    guest = next(g for g in fleet.guests if g.name == "guest-1")
    clock = guest.timeline.guest_clock()
    assert clock.correction is not None
    mount = guest.timeline.phase("mount")
    assert mount is not None and mount.guest_duration is not None and mount.duration is not None
    assert mount.clock == CORRECTED
    assert mount.duration == pytest.approx(mount.guest_duration / clock.correction)
    calls = [c for c in guest.timeline.calls() if c.clock == CORRECTED]
    assert calls and all(
        c.duration == pytest.approx((c.guest_end - c.guest_start) / clock.correction)  # type: ignore[operator]
        for c in calls
    )
    entry = timeline_dict(guest.timeline)
    assert entry["guest_clock"]["skewed"] is True and entry["guest_clock"]["corrected"] is True
    # the stamps as printed stay in `guest`; start/end are on the corrected clock
    json_mount = next(p for p in entry["phases"] if p["name"] == "mount")
    assert json_mount["guest"]["start"] == round(mount.guest_start or 0, 6)
    assert json_mount["start"] == pytest.approx((mount.guest_start or 0) / clock.correction, abs=1e-6)


def test_crash_3_three_loose_fits_still_pool_and_find_the_one_skewed_clock() -> None:
    fleet = replayed("crash-3")
    clocks = {g.name: g.timeline.guest_clock() for g in fleet.guests}
    # three short boots (10-26 ms stamped): no fit within 5 %, so every fit pools, loosely
    reference = clocks["guest-1"].reference
    assert reference is not None and reference.guests == 3
    assert reference.hz == pytest.approx(2.456e9, rel=0.005)  # shared-8, same host: 2.444 GHz
    assert reference.low_hz < 0.9 * reference.hz  # the interval says how loose
    slow = clocks["guest-3"]  # printed 2.91 GHz where its neighbours printed 2.46
    assert slow.source == "tsc" and slow.skewed and slow.rate is not None and slow.rate < 0.9
    assert slow.high is not None and slow.high < 1
    # and its own fit alone says the same
    assert slow.fit is not None and slow.fit.rate == pytest.approx(slow.rate, rel=0.02)
    assert not clocks["guest-1"].skewed and not clocks["guest-2"].skewed  # 2.46 GHz: right


def test_reading_order_never_changes_a_guest_s_clock() -> None:
    forwards = [timeline_dict(g.timeline)["guest_clock"] for g in replayed("shared-8").guests]
    backwards = [timeline_dict(g.timeline)["guest_clock"] for g in reversed(replayed("shared-8").guests)]
    assert forwards == list(reversed(backwards))


def test_seeking_back_and_forth_ends_where_playing_straight_does() -> None:
    straight = [timeline_dict(g.timeline)["guest_clock"] for g in replayed("shared-8").guests]
    fleet = ReplayFleet(RECORDINGS / "shared-8", speed=0)
    end = fleet.playback.end
    fleet.seek(end)
    assert [timeline_dict(g.timeline)["guest_clock"] for g in fleet.guests] == straight
    fleet.seek(fleet.playback.start + (end - fleet.playback.start) // 3)
    assert [timeline_dict(g.timeline)["guest_clock"] for g in fleet.guests] != straight
    fleet.seek(end)
    assert [timeline_dict(g.timeline)["guest_clock"] for g in fleet.guests] == straight


def test_a_saved_log_has_an_estimate_but_no_rate() -> None:
    timeline = trace_log(log("001"))
    clock = timeline.guest_clock()
    assert clock.rate is None and clock.skewed is None and clock.correction is None
    assert all(p.clock != CORRECTED for p in timeline.phases())


def test_a_console_without_host_times_fits_nothing() -> None:
    raw = (RECORDINGS / "shared-8" / "guest-1" / "console.raw").read_bytes()
    timeline = BootTimeline("g")
    for record in ConsoleParser().feed(raw):
        timeline.consume(record)
    timeline.finish()
    assert timeline.tsc_estimate_hz == 3880527560
    assert timeline.clock_fit() is None and timeline.guest_clock().rate is None


def test_the_fit_sees_through_one_sided_lag_and_lumped_reads() -> None:
    rng = random.Random(7)
    samples = ClockSamples()
    rate = 0.05  # 20x slow
    host_ns = 0
    for line in range(2000):
        emitted_ns = line * 2_000_000  # a line every 2 ms of host time
        host_ns = max(host_ns, emitted_ns + int(rng.expovariate(1 / 50e6)))  # read up to ~0.2 s late, lumped
        samples.add(host_ns - host_ns % 20_000_000, emitted_ns / 1e9 * rate)
    assert len(samples.points) <= MAX_POINTS + 1
    fit = fit_rate(samples.points)
    assert fit is not None and fit.low <= fit.rate <= fit.high
    assert fit.rate == pytest.approx(rate, rel=0.05)
    clock = assess(None, fit, None)
    assert clock.skewed and slowdown_text(clock.rate or 1) == "20.0x slow"


def test_a_clock_within_five_percent_or_with_1_in_its_interval_is_not_skewed() -> None:
    def fit(rate: float, low: float, high: float) -> RateFit:
        return RateFit(rate, low, high, 10, 1.0)

    assert assess(None, fit(0.97, 0.96, 0.98), None).skewed is False
    assert assess(None, fit(0.92, 0.91, 0.93), None).skewed is True
    assert assess(None, fit(0.92, 0.85, 0.99), None).skewed is True
    assert assess(None, fit(0.93, 0.86, 1.00), None).skewed is False  # 1 is in its interval
    assert assess(None, fit(0.7, 0.3, 1.2), None).rate is None  # too loose to say anything
    loose = assess(None, fit(0.5, 0.1, 0.9), None)  # loose, but wholly beyond 5 %: skewed for sure
    assert loose.skewed and loose.source == "fit" and loose.correction == 0.5
    reference = ClockReference()
    assert reference.reference() is None


def test_five_loose_fits_pool_into_a_tight_frequency() -> None:
    # the products of 10 server-mode guests (uktrace.serve=200, 10 at once): each fit's interval
    # spanned up to ±30 %, their point estimates times the estimates 2.567-2.602 GHz
    estimates = [3643120000, 8838981840, 3647510880, 7802241200, 7040559760, 2608329360]
    rates = [0.711293, 0.29364, 0.703752, 0.333496, 0.366663, 0.993681]
    fits = [(e, RateFit(r, r * 0.8, r * 1.2, 5, 0.3)) for e, r in zip(estimates, rates, strict=True)]
    found = pooled(fits)
    assert found is not None and found.guests == 6
    assert 2.56e9 < found.low_hz <= found.hz <= found.high_hz < 2.61e9
    few = pooled(fits[:4])  # too few for the median's interval, none within 5 %: their loose bounds
    assert few is not None and 2.56e9 < few.hz < 2.61e9 and few.low_hz < 2.2e9 and few.high_hz > 3.0e9
    assert median_bounds([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]) == (2.0, 9.0)


def test_clock_labels_read_as_words() -> None:
    from uktrace.analysis.stats import clock_label, clock_words

    assert clock_words("host") == "host clock" and clock_words("guest+host") == "guest+host clocks"
    assert clock_words(clock_label(["guest (corrected)"]) or "") == "guest clock, corrected"
    assert clock_label(["guest", "guest (corrected)", "host"]) == "guest (part corrected)+host"
    assert clock_words("guest (part corrected)") == "guest clock, part corrected"


def _random_points(generator: random.Random) -> tuple[list[float], list[float]]:
    """Host seconds and stamps as consoles give them: 2-128 points, some hosts and stamps repeated."""
    count = generator.randint(2, MAX_POINTS)
    host = sorted(round(generator.random(), generator.choice((2, 9))) for _ in range(count))
    stamps = [h * generator.uniform(0.02, 2) + generator.gauss(0, 0.01) for h in host]
    stamps = [round(s, 1) if generator.random() < 0.1 else s for s in stamps]
    return stamps, host


def test_theil_sen_is_scipys_theilslopes_to_the_last_bit() -> None:
    """The fit is scipy.stats.theilslopes' slope and 95 % interval, computed without importing
    scipy.stats (which took the event loop 1-4 s): on every recorded guest's points and on
    random ones with ties, the same floats."""
    from scipy.stats import theilslopes

    cases = []
    for name in ("shared-8", "crash-3"):
        for guest in replayed(name).guests:
            points = guest.timeline._clock_samples.points  # what fit_rate is given
            origin = points[0][0]
            cases.append(([stamp for _, stamp in points], [(ns - origin) / 1e9 for ns, _ in points]))
    generator = random.Random(19)
    cases += [_random_points(generator) for _ in range(500)]
    for stamps, host in cases:
        expected = theilslopes(stamps, host, alpha=0.95)
        found = theil_sen(stamps, host)
        assert found is not None
        assert str(tuple(found)) == str((float(expected.slope), float(expected.low_slope), float(expected.high_slope)))
