"""The SVG Gantt chart: one row per guest with one bar per phase in the TUI's colours, placed on
the clock asked for, crosses and reasons for crashes, a title and a legend, rows that shrink as
guests grow, and the same bytes for the same run."""

from __future__ import annotations

import copy
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import matplotlib
import pytest

from tests.conftest import log, say_in_session, tracer_booting
from tests.unit.export_data import CRASH, SHARED, SVG, recording
from tests.unit.export_data import svg_ids as ids
from tests.unit.export_data import svg_texts as texts
from uktrace.export.gantt import ROW_IN, figure, render
from uktrace.export.runs import ExportError, Run, load_runs
from uktrace.model.palette import PHASE_COLOURS
from uktrace.parsers.phases import HOST_PHASES


def bars(root: ET.Element) -> dict[str, dict[str, Any]]:
    """Per bar id (`phase-<guest>-<phase>`), its fill and its box in SVG user units."""
    found = {}
    for group in root.iter(f"{SVG}g"):
        gid = group.get("id", "")
        if not gid.startswith("phase-"):
            continue
        path = group.find(f"{SVG}path")
        assert path is not None
        fill = re.search(r"fill: (#[0-9a-f]{6})", path.get("style", ""))
        xs = [float(x) for x in re.findall(r"([-\d.]+) [-\d.]+", path.get("d", ""))]
        ys = [float(y) for y in re.findall(r"[-\d.]+ ([-\d.]+)", path.get("d", ""))]
        found[gid] = {"fill": fill and fill.group(1), "x": (min(xs), max(xs)), "y": (min(ys), max(ys))}
    return found


@pytest.fixture(scope="module")
def shared() -> Run:
    return recording(SHARED)


@pytest.fixture(scope="module")
def host_chart(shared: Run) -> str:
    return render(shared)


def test_one_bar_per_guest_and_phase_in_the_tuis_colours(shared: Run, host_chart: str) -> None:
    found = bars(ET.fromstring(host_chart))
    expected = {f"phase-{g['name']}-{p['name']}" for g in shared.guests for p in g["phases"]}
    assert set(found) == expected
    for gid, bar in found.items():
        phase = gid.split("-", 3)[3]
        assert bar["fill"] == PHASE_COLOURS[phase], gid


def test_rows_in_guest_order_and_9p_inside_mount(shared: Run, host_chart: str) -> None:
    found = bars(ET.fromstring(host_chart))
    tops = [found[f"phase-{g['name']}-spawn"]["y"][0] for g in shared.guests]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    for guest in shared.guests:
        mount, handshake = found[f"phase-{guest['name']}-mount"], found[f"phase-{guest['name']}-9p_handshake"]
        assert mount["y"][0] < handshake["y"][0] < handshake["y"][1] < mount["y"][1]
        assert mount["x"][0] <= handshake["x"][0] <= handshake["x"][1] <= mount["x"][1] + 1e-6


def test_title_axis_and_legend_say_what_and_which_clock(host_chart: str) -> None:
    words = texts(ET.fromstring(host_chart))
    assert "shared-8: boot timeline of 8 guests, host clock" in words
    assert "seconds since the run's first spawn (host clock)" in words
    assert {"spawn", "gate", "firmware", "mount", "9p_handshake", "main", "exit"} <= words
    assert {f"guest-{i}" for i in range(1, 9)} <= words


def test_what_uktrace_took_is_said_when_the_run_says_it(shared: Run, host_chart: str, tmp_path: Path) -> None:
    assert not any(word.startswith("uktrace's own CPU") for word in texts(ET.fromstring(host_chart)))
    shutil.copytree(SHARED, tmp_path / "rec")
    say_in_session(tmp_path / "rec", tracer=tracer_booting(0.0391))
    words = texts(ET.fromstring(render(recording(tmp_path / "rec"))))
    assert "uktrace's own CPU while they booted: 3.9 % of 2 CPUs" in words


def test_guest_clock_starts_each_row_at_its_boot(shared: Run) -> None:
    root = ET.fromstring(render(shared, "guest"))
    found = bars(root)
    assert not [gid for gid in found if gid.split("-", 3)[3] in HOST_PHASES | {"exit"}]
    starts = {found[f"phase-{g['name']}-platform_entry"]["x"][0] for g in shared.guests}
    assert len(starts) == 1  # every guest's printk clock starts at 0
    assert "shared-8: boot timeline of 8 guests, guest clock" in texts(root)


def test_crashes_get_a_cross_and_their_reason() -> None:
    root = ET.fromstring(render(recording(CRASH)))
    assert ids(root, "crash-") == ["crash-guest-1", "crash-guest-2", "crash-guest-3"]
    words = texts(root)
    assert "crashed: Unhandled Trap 0 (divide error), error code=0x0" in words
    assert "crashed / failed / timed out" in words


def test_rows_shrink_as_guests_grow(shared: Run) -> None:
    heights = {}
    for count in (1, 8, 100):
        guests = []
        for i in range(count):
            guest = copy.deepcopy(shared.guests[i % len(shared.guests)])
            guest["name"] = f"guest-{i + 1}"
            guests.append(guest)
        heights[count] = figure(Run("many", {"guests": guests})).get_size_inches()[1]
    assert heights[1] < heights[8] < heights[100]
    assert heights[100] == pytest.approx(100 * ROW_IN[0] + (heights[1] - ROW_IN[1]))
    assert heights[8] / 8 > heights[100] / 100


def test_same_run_same_bytes_and_no_style_leaks(shared: Run, host_chart: str) -> None:
    before = dict(matplotlib.rcParams)
    assert render(shared) == host_chart
    assert dict(matplotlib.rcParams) == before


def test_a_log_draws_on_the_guest_clock_and_refuses_the_host_clock() -> None:
    (run,) = load_runs([log("016")])
    assert "guest clock" in render(run)
    with pytest.raises(ExportError, match="no host clock"):
        render(run, "host")


def test_on_the_guest_clock_a_skewed_guest_is_drawn_corrected() -> None:
    from uktrace.export.spans import guest_rate, guest_spans

    run = recording(SHARED)
    first = run.guests[0]  # its clock ran 1.6x slow
    rate = guest_rate(first)
    assert rate is not None and 0.6 < rate < 0.7
    main = next(s for s in guest_spans(first, "guest") if s.name == "main")
    phase = next(p for p in first["phases"] if p["name"] == "main")
    # the JSON's start and end are rounded to the µs: ±1
    assert abs(main.start - phase["start"] * 1e6) <= 1 and abs(main.end - phase["end"] * 1e6) <= 1
    assert guest_rate(run.guests[2]) is None  # its clock ran right: its stamps as printed
