"""The timeline bar and the summary charts as strings: glyphs and colours cell by cell."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.text import Text

from uktrace.analysis.stats import Distribution, distribution
from uktrace.model.axis import AxisMode, Placement, spans_of
from uktrace.model.timeline import BootTimeline, Phase
from uktrace.parsers import Kind, Record
from uktrace.parsers.phases import PHASES
from uktrace.tui.bar import (
    Span,
    TimeAxis,
    TimelineBar,
    axis_segments,
    bar_segments,
    nice_axis,
    tick_label,
)
from uktrace.tui.charts import BoxPlot, Histogram
from uktrace.tui.palette import PHASE_COLOURS
from uktrace.tui.widgets.header import legend, title_lines

SPAWN = PHASE_COLOURS["spawn"]
FIRMWARE = PHASE_COLOURS["firmware"]
MAIN = PHASE_COLOURS["main"]


def render(renderable: RenderableType, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


def styled(segments: list[Segment]) -> list[tuple[str, str]]:
    return [(segment.text, str(segment.style)) for segment in segments]


def test_one_colour_per_phase_with_exact_widths() -> None:
    spans = [Span("spawn", 0.0, 0.25), Span("firmware", 0.25, 0.5), Span("main", 0.5, 1.0)]
    assert styled(bar_segments(spans, 1.0, 8)) == [("██", SPAWN), ("██", FIRMWARE), ("████", MAIN)]
    assert render(TimelineBar(spans, 1.0, 8), 20) == "████████\n"


def test_eighth_cell_resolution_at_the_end_of_a_bar() -> None:
    # 0.3125 s of a 1 s axis over 10 cells = 25 eighths: 3 full cells and one eighth
    assert render(TimelineBar([Span("spawn", 0.0, 0.3125)], 1.0, 10), 20) == "███▏      \n"
    for eighths, glyph in enumerate("▏▎▍▌▋▊▉", start=1):
        bar = bar_segments([Span("main", 0.0, (8 + eighths) / 80)], 1.0, 10)
        assert styled(bar) == [("█" + glyph, MAIN), ("        ", "none")]


def test_a_boundary_inside_a_cell_keeps_both_colours() -> None:
    # spawn ends 3/8 into the second cell: left part spawn (foreground), the rest firmware (background)
    spans = [Span("spawn", 0.0, 11 / 80), Span("firmware", 11 / 80, 24 / 80)]
    assert styled(bar_segments(spans, 1.0, 10)) == [
        ("█", SPAWN),
        ("▍", f"{SPAWN} on {FIRMWARE}"),
        ("█", FIRMWARE),
        ("       ", "none"),
    ]


def test_a_bar_starting_inside_a_cell_is_drawn_reversed() -> None:
    # a guest spawned 4/8 of a cell after the first: the painted half shows the background
    assert styled(bar_segments([Span("spawn", 0.05, 0.2)], 1.0, 10)) == [
        ("▌", f"reverse {SPAWN}"),
        ("█", SPAWN),
        ("        ", "none"),
    ]


def test_a_running_phase_grows_until_now() -> None:
    phases = [Phase("spawn", host_start=0.0, host_end=0.1), Phase("firmware", host_start=0.1)]
    spans = spans_of(phases, AxisMode.HOST, Placement(offset=0.0, host_now=0.25))
    assert spans == [Span("spawn", 0.0, 0.1), Span("firmware", 0.1, 0.25)]
    assert styled(bar_segments(spans, 0.4, 8)) == [("██", SPAWN), ("███", FIRMWARE), ("   ", "none")]
    later = spans_of(phases, AxisMode.HOST, Placement(offset=0.0, host_now=0.4))
    assert styled(bar_segments(later, 0.4, 8)) == [("██", SPAWN), ("██████", FIRMWARE)]


def test_before_the_first_guest_line_the_bar_is_spawn_then_firmware() -> None:
    timeline = BootTimeline("g")
    timeline.spawned(0)
    assert spans_of(timeline.phases(), AxisMode.HOST, Placement(offset=0.1, host_now=0.2)) == [
        Span("spawn", 0.1, 0.30000000000000004)
    ]
    timeline.consume(Record(0, Kind.FIRMWARE, "SeaBIOS (version 1.16.2)", b"", "", host_ns=50_000_000))
    spans = spans_of(timeline.phases(), AxisMode.HOST, Placement(offset=0.0, host_now=0.2))
    assert spans == [Span("spawn", 0.0, 0.05), Span("firmware", 0.05, 0.2)]
    # once finished nothing grows
    assert spans_of([Phase("spawn", host_start=0.0, host_end=0.05)], AxisMode.HOST, Placement(host_now=None)) == [
        Span("spawn", 0.0, 0.05)
    ]


def test_nested_phases_and_phases_without_host_time_are_not_drawn() -> None:
    phases = [
        Phase("mount", host_start=0.0, host_end=0.5),
        Phase("9p_handshake", host_start=0.1, host_end=0.2),
        Phase("banner", guest_start=1.0, guest_end=1.1),
    ]
    assert spans_of(phases) == [Span("mount", 0.0, 0.5)]


def test_an_empty_timeline_is_blank() -> None:
    assert render(TimelineBar([], 1.0, 12), 20) == " " * 12 + "\n"
    assert styled(bar_segments([], 1.0, 5)) == [("     ", "none")]
    assert bar_segments([], 1.0, 0) == []


def test_axis_scaling() -> None:
    spans = [Span("spawn", 0.0, 0.5)]
    assert render(TimelineBar(spans, 1.0, 10), 20) == "█████     \n"
    assert render(TimelineBar(spans, 2.0, 10), 20) == "██▌       \n"
    assert render(TimelineBar(spans, 0.5, 10), 20) == "██████████\n"
    # past the axis end is clipped, never wider than the bar
    assert render(TimelineBar([Span("spawn", 0.0, 3.0)], 1.0, 10), 20) == "██████████\n"
    assert [nice_axis(s) for s in (0.0, 0.011, 0.45, 0.6, 1.01, 7.2, 12)] == [
        0.01,
        0.015,
        0.5,
        0.6,
        1.5,
        8.0,
        15.0,
    ]


def test_time_axis_labels() -> None:
    assert render(TimeAxis(1.0, 40), 40) == "0                   500ms             1s\n"
    assert render(TimeAxis(8.0, 60), 60) == "0              2s             4s             6s           8s\n"
    assert [tick_label(s) for s in (0, 0.0005, 0.25, 1.5, 12)] == ["0", "0.5ms", "250ms", "1.5s", "12s"]
    assert axis_segments(1.0, 0) == []


def test_a_zoomed_axis_is_labelled_with_its_own_seconds() -> None:
    # a window of 200 ms from 700 ms: ticks at the multiples of the step inside it
    assert render(TimeAxis(0.2, 40, start=0.7), 40) == "700ms               800ms          900ms\n"
    # 1.05 is not a multiple of the step (100 ms): the first tick is 1.1s, a third of the way
    assert render(TimeAxis(0.15, 30, start=1.05), 30) == " " * 10 + "1.1s            1.2s\n"


def test_a_failure_reason_follows_the_bar() -> None:
    bar = TimelineBar([Span("spawn", 0.0, 0.3)], 1.0, 20, note="divide error")
    assert render(bar, 20) == "██████ divide error \n"
    squeezed = TimelineBar([Span("spawn", 0.0, 0.3)], 1.0, 14, note="divide error")
    assert render(squeezed, 20) == "████▎ divide …\n"


def test_box_plot_and_histogram() -> None:
    dist = Distribution(count=5, p50=0.3, p95=0.6, max=0.9, min=0.1, mean=0.4, stdev=0.3, p90=0.6, p99=0.9)
    assert render(BoxPlot(dist, 1.0, MAIN, 10), 10) == " ├─████──┤\n"
    same = distribution([0.5, 0.5])
    assert same is not None
    assert render(BoxPlot(same, 1.0, MAIN, 10), 10) == "     █    \n"
    # one guest fills one cell of the two-cell-tall column of two: 8 of 16 eighths
    assert render(Histogram([0.1, 0.2, 0.2, 0.9], height=2, width=10), 10) == (
        "  █       \n" + " ██      █\n" + "0       1s\n"  # too narrow for a second tick: the end
    )
    assert render(Histogram([0.1, 0.2, 0.2, 0.2, 0.9], height=1, width=10), 10).splitlines()[0] == " ▃█      ▃"


def test_every_phase_has_its_own_colour() -> None:
    assert set(PHASES) <= set(PHASE_COLOURS)
    colours = [PHASE_COLOURS[name] for name in PHASES]
    assert len(set(colours)) == len(colours)


def test_a_guest_paused_at_the_start_gate_waits_in_gate() -> None:
    timeline = BootTimeline("g")
    timeline.spawned(0)
    timeline.vmm_ready(50_000_000)
    spans = spans_of(timeline.phases(), AxisMode.HOST, Placement(host_now=0.2))
    assert spans == [Span("spawn", 0.0, 0.05), Span("gate", 0.05, 0.2)]
    timeline.released(150_000_000)
    spans = spans_of(timeline.phases(), AxisMode.HOST, Placement(host_now=0.2))
    assert spans == [Span("spawn", 0.0, 0.05), Span("gate", 0.05, 0.15), Span("firmware", 0.15, 0.2)]


def test_a_span_shorter_than_a_cell_still_shows_where_it_starts() -> None:
    # one eighth at 5/8 of the second cell: drawn from 5/8 to the end of that cell, never blank
    assert styled(bar_segments([Span("mount", 13 / 80, 14 / 80)], 1.0, 10)) == [
        (" ", "none"),
        ("▋", f"reverse {PHASE_COLOURS['mount']}"),
        ("        ", "none"),
    ]


def test_the_header_breaks_between_items_never_inside_one() -> None:
    counts = Text("exited 8")
    details = ["8 guests", "jobs 8", "fs shared", "run 1.263 s"]
    wide = title_lines("uktrace demo", details, counts, 80).plain
    assert wide == "uktrace demo  8 guests · jobs 8 · fs shared · run 1.263 s" + " " * 15 + "exited 8"
    narrow = title_lines("uktrace replay tests/data/recordings/shared-8", details, counts, 58).plain
    assert narrow.splitlines() == [
        "uktrace replay tests/data/recordings/shared-8  8 guests",
        "jobs 8 · fs shared · run 1.263 s" + " " * 18 + "exited 8",
    ]
    # the counts on a line of their own when the last line has no room
    busy = Text("booting 4  running 1  exited 3")
    assert title_lines("uktrace demo", details, busy, 40).plain.splitlines() == [
        "uktrace demo  8 guests · jobs 8",
        "fs shared · run 1.263 s",
        " " * 10 + "booting 4  running 1  exited 3",
    ]
    # a title too long for any detail beside it: the details start the next line
    assert title_lines("x" * 20, details, Text(), 20).plain.splitlines()[1] == "8 guests · jobs 8"


def test_the_legend_lists_the_phases_asked_for_one_space_apart_when_narrow() -> None:
    assert legend(0, ("mount", "main")).plain == "■ mount  ■ main"
    assert legend(30, ("spawn", "gate", "firmware", "mount", "main")).plain.splitlines() == [
        "■ spawn ■ gate ■ firmware",
        "■ mount ■ main",
    ]
