"""The Perfetto export's structure, strictly: every event has the fields the trace-event format
requires, one process per run and one named thread per guest in guest order, complete events in
integer microseconds that nest per thread (children inside parents, never a partial overlap),
crash instants with their reason, and the clock named in every event's args.

ui.perfetto.dev itself cannot run here; `trace_processor_shell` is used when it is on PATH (it
ships as a download, not in a package registry), and the test says so when it is not."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.unit.export_data import CRASH, SHARED, guest_with_calls, make_bench, recording
from uktrace.export.perfetto import trace
from uktrace.export.runs import ExportError, Run, load_runs
from uktrace.parsers.phases import HOST_PHASES, PARENTS

Event = dict[str, Any]
METADATA = {
    "process_name": "name",
    "process_sort_index": "sort_index",
    "thread_name": "name",
    "thread_sort_index": "sort_index",
}


def check_structure(document: dict[str, Any]) -> list[Event]:
    """Every event well-formed for its phase type; returns the events. Fails on the first flaw."""
    assert set(document) >= {"traceEvents"}
    events = document["traceEvents"]
    assert isinstance(events, list) and events
    for event in events:
        assert event["ph"] in ("M", "X", "i"), event
        assert isinstance(event["name"], str) and event["name"], event
        assert isinstance(event["pid"], int) and isinstance(event["tid"], int), event
        if event["ph"] == "M":
            assert set(event["args"]) == {METADATA[event["name"]]}, event
            continue
        assert isinstance(event["ts"], int) and event["ts"] >= 0, event
        assert event["args"]["clock"] in ("host", "guest"), event
        assert isinstance(event["cat"], str), event
        if event["ph"] == "X":
            assert isinstance(event["dur"], int) and event["dur"] >= 0, event
        else:
            assert event["s"] == "t" and "dur" not in event, event
            assert event["args"]["reason"], event
    json.loads(json.dumps(document))  # plain JSON: no NaN, no objects
    return events


def tracks(events: Sequence[Event]) -> dict[tuple[int, int], list[Event]]:
    """Complete events per (pid, tid), in file order."""
    result: dict[tuple[int, int], list[Event]] = defaultdict(list)
    for event in events:
        if event["ph"] == "X":
            result[(event["pid"], event["tid"])].append(event)
    return result


def parents(track: Sequence[Event]) -> dict[int, Event | None]:
    """Nesting of one track as a viewer builds it (start order, file order at equal starts, so a
    parent comes before a child starting with it; an event ending where the next starts is its
    sibling): each event's parent, asserting no event overlaps another partially."""
    order = sorted(range(len(track)), key=lambda i: (track[i]["ts"], i))
    stack: list[Event] = []
    result: dict[int, Event | None] = {}
    for i in order:
        event = track[i]
        start, end = event["ts"], event["ts"] + event["dur"]
        while stack and stack[-1]["ts"] + stack[-1]["dur"] <= start:
            stack.pop()
        if stack:
            top = stack[-1]
            assert end <= top["ts"] + top["dur"], f"{event['name']} overlaps {top['name']} partially"
        result[i] = stack[-1] if stack else None
        stack.append(event)
    return result


def named(events: Sequence[Event], kind: str) -> dict[tuple[int, int], Any]:
    return {(e["pid"], e["tid"]): e["args"] for e in events if e["ph"] == "M" and e["name"] == kind}


def test_the_nesting_check_catches_a_partial_overlap() -> None:
    def x(name: str, ts: int, dur: int) -> Event:
        return {"ph": "X", "name": name, "ts": ts, "dur": dur}

    found = parents([x("a", 0, 10), x("b", 10, 0), x("c", 10, 5), x("d", 11, 2)])
    assert [p and p["name"] for p in found.values()] == [None, None, None, "c"]
    with pytest.raises(AssertionError, match="overlaps a partially"):
        parents([x("a", 0, 10), x("b", 5, 10)])


@pytest.fixture(scope="module")
def shared() -> Run:
    return recording(SHARED)


@pytest.fixture(scope="module")
def crash() -> Run:
    return recording(CRASH)


def test_one_process_per_run_one_named_thread_per_guest_in_guest_order(shared: Run, crash: Run) -> None:
    events = check_structure(trace([shared, crash]))
    assert named(events, "process_name") == {(1, 0): {"name": "shared-8"}, (2, 0): {"name": "crash-3"}}
    threads = named(events, "thread_name")
    sort = named(events, "thread_sort_index")
    assert set(threads) == set(sort) == set(tracks(events))
    for pid, run in ((1, shared), (2, crash)):
        names = [g["name"] for g in run.guests]
        assert [threads[(pid, tid)]["name"] for tid in range(1, len(names) + 1)] == names
        # each guest's calls track (when it has calls) sorts right below the guest
        by_order = sorted((args["sort_index"], threads[key]["name"]) for key, args in sort.items() if key[0] == pid)
        shown = [name for _, name in by_order]
        assert [name for name in shown if not name.endswith(" calls")] == names
        for position, name in enumerate(shown):
            if name.endswith(" calls"):
                assert shown[position - 1] == name.removesuffix(" calls")


def test_every_phase_nests_per_thread_and_9p_sits_inside_mount(shared: Run) -> None:
    """The bus probe and the mount inside init_table (its functions run them), the TSC calibration
    inside subsystems, the 9P handshake inside mount, every other phase at the top of its guest's track."""
    events = check_structure(trace([shared]))
    for (_, tid), track in tracks(events).items():
        if tid > len(shared.guests):
            continue  # a calls track
        found = parents(track)
        names = [e["name"] for e in track]
        assert {"spawn", "firmware", "mount", "9p_handshake", "main", "exit"} <= set(names)
        for i, event in enumerate(track):
            parent = found[i]
            if event["name"] == "9p_handshake":
                assert parent is not None and parent["name"] == "mount"
            elif event["name"] in PARENTS:
                assert parent is not None and parent["name"] == PARENTS[event["name"]]
            elif event["dur"] > 0:
                assert parent is None, f"{event['name']} nested in {parent and parent['name']}"
        assert {e["args"]["clock"] for e in track} == {"host"}


def test_host_microseconds_since_the_runs_first_spawn(shared: Run) -> None:
    events = check_structure(trace([shared]))
    first = min(g["host"]["spawn_ns"] for g in shared.guests)
    by_track = tracks(events)
    for tid, guest in enumerate(shared.guests, 1):
        offset = round((guest["host"]["spawn_ns"] - first) / 1000)
        spawn = next(e for e in by_track[(1, tid)] if e["name"] == "spawn")
        assert spawn["ts"] == offset
        phase = next(p for p in guest["phases"] if p["name"] == "spawn")
        assert spawn["dur"] == round((phase["host"]["end"] - phase["host"]["start"]) * 1e6)
        last = max(e["ts"] + e["dur"] for e in by_track[(1, tid)])
        assert last == offset + round(guest["phases"][-1]["host"]["end"] * 1e6)
    # the guests line up: someone spawned at 0, nobody before
    assert min(e["ts"] for e in events if e["ph"] == "X") == 0


def test_a_guest_clock_phase_sits_at_its_host_start_and_carries_its_guest_duration(shared: Run) -> None:
    events = check_structure(trace([shared]))
    guest = shared.guests[0]
    offset = round((guest["host"]["spawn_ns"] - min(g["host"]["spawn_ns"] for g in shared.guests)) / 1000)
    phase = next(p for p in guest["phases"] if p["name"] == "main")
    # guest-1's clock ran 1.6x slow (it calibrated its TSC at 3.88 GHz): its figures are corrected
    assert phase["clock"] == "guest (corrected)"
    event = next(e for e in tracks(events)[(1, 1)] if e["name"] == "main")
    assert event["ts"] == offset + round(phase["host"]["start"] * 1e6)
    assert event["args"]["clock"] == "host" and event["args"]["phase_clock"] == "guest (corrected)"
    assert event["args"]["guest"]["duration_us"] == round((phase["guest"]["end"] - phase["guest"]["start"]) * 1e6)
    assert event["args"]["figure_us"] == round((phase["end"] - phase["start"]) * 1e6)
    assert event["args"]["figure_us"] > event["args"]["guest"]["duration_us"]
    assert event["args"]["host"]["duration_us"] == event["dur"]


def test_crashes_are_instants_with_their_reason_where_the_guest_stopped(crash: Run) -> None:
    events = check_structure(trace([crash]))
    instants = [e for e in events if e["ph"] == "i"]
    assert len(instants) == len(crash.guests) == 3
    by_track = tracks(events)
    for event, guest in zip(instants, crash.guests, strict=True):
        assert event["args"]["reason"] == guest["crash"]["reason"]
        assert event["args"]["where"] == "0x1031bc app_divide+0x1c"
        assert event["name"].startswith("crashed: Unhandled Trap 0")
        main = next(e for e in by_track[(event["pid"], event["tid"])] if e["name"] == "main")
        assert event["ts"] == main["ts"] + main["dur"]


def test_guest_clock_leaves_host_phases_out_and_uses_printk_stamps(shared: Run) -> None:
    events = check_structure(trace([shared], clock="guest"))
    track = tracks(events)[(1, 1)]
    parents(track)
    names = {e["name"] for e in track}
    assert names.isdisjoint(HOST_PHASES) and "exit" not in names
    mount = next(p for p in shared.guests[0]["phases"] if p["name"] == "mount")
    event = next(e for e in track if e["name"] == "mount")
    # guest-1's clock ran 1.6x slow: its stamps divided by its rate, the phase's own start and end
    rate = shared.guests[0]["guest_clock"]["rate"]
    assert shared.guests[0]["guest_clock"]["corrected"] and mount["clock"] == "guest (corrected)"
    assert (event["ts"], event["dur"]) == (
        round(mount["guest"]["start"] / rate * 1e6),
        round(mount["guest"]["end"] / rate * 1e6) - round(mount["guest"]["start"] / rate * 1e6),
    )
    assert abs(event["ts"] - mount["start"] * 1e6) <= 1  # the JSON's start, rounded to the µs
    assert {e["args"]["clock"] for e in events if e["ph"] != "M"} == {"guest"}


def calls_tracks(events: Sequence[Event]) -> dict[str, list[Event]]:
    threads = named(events, "thread_name")
    return {
        threads[key]["name"].removesuffix(" calls"): track
        for key, track in tracks(events).items()
        if threads[key]["name"].endswith(" calls")
    }


def test_calls_sit_in_their_tables_on_a_track_below_their_guest(shared: Run) -> None:
    events = check_structure(trace([shared]))
    with_calls = [g for g in shared.guests if g.get("calls")]
    assert with_calls, "the committed recording replays with calls: none means the call path broke"
    by_guest = calls_tracks(events)
    assert set(by_guest) == {g["name"] for g in with_calls}
    for guest in with_calls:
        track = by_guest[guest["name"]]
        found = parents(track)
        tables = [e for e in track if e["cat"] == "table"]
        assert [t["name"] for t in tables] == list(dict.fromkeys(c["phase"] for c in guest["calls"]))
        calls = []
        table = None
        for i, event in enumerate(track):  # a table, then its calls
            if event["cat"] == "table":
                table = event
            else:
                calls.append((event, found[i], table))
        assert len(calls) == len(guest["calls"])
        for (event, parent, table), call in zip(calls, guest["calls"], strict=True):
            assert table is not None and table["name"] == call["phase"]
            assert table["ts"] <= event["ts"] <= event["ts"] + event["dur"] <= table["ts"] + table["dur"]
            if event["ts"] < table["ts"] + table["dur"]:
                assert parent is table
            # else: a zero-length call at its table's very end (or a zero-length table: constructors
            # timed within one console chunk), which a viewer shows beside it at the same instant
            assert event["name"] == (call["name"] or call["address"])
            assert event["args"]["phase"] == call["phase"] and event["args"]["address"] == call["address"]


def test_rounding_overlaps_are_clamped_never_dropped() -> None:
    run = Run("calls", {"guests": [guest_with_calls()]})
    events = check_structure(trace([run]))
    track = tracks(events)[(1, 1)]
    found = parents(track)
    by_name = {e["name"]: (e, found[i]) for i, e in enumerate(track)}
    handshake, mount = by_name["9p_handshake"]
    assert mount is not None and mount["name"] == "mount"
    assert handshake["args"]["clamped"] is True
    assert handshake["ts"] + handshake["dur"] == mount["ts"] + mount["dur"]
    assert not [e for e in track if e["cat"] != "phase"]

    calls = calls_tracks(events)["guest-1"]
    found = parents(calls)
    by_name = {e["name"]: (e, found[i]) for i, e in enumerate(calls)}
    assert [e["name"] for e in calls if e["cat"] == "table"] == ["constructors", "init_table", "bus_probe"]
    for name, table in (("ukplat_ctor", "constructors"), ("uk_bus_ctor", "constructors"), ("late_init", "init_table")):
        event, parent = by_name[name]
        assert event["cat"] == "call" and parent is not None and parent["name"] == table
        assert event["args"]["library"] == "libukboot" and event["args"]["phase"] == table
    first, _ = by_name["ukplat_ctor"]
    second, _ = by_name["uk_bus_ctor"]
    assert second["ts"] == first["ts"] + first["dur"] and second["args"]["clamped"] is True
    assert "clamped" not in first["args"]
    # a call that outlasts its phase (init functions run the bus probe and the mount) keeps its length
    late, _ = by_name["late_init"]
    assert late["dur"] == 5002 and "clamped" not in late["args"]


def test_a_bench_is_one_process_per_cell_named_by_the_cell(tmp_path: Path) -> None:
    runs = load_runs([make_bench(tmp_path)])
    events = check_structure(trace(runs))
    processes = named(events, "process_name")
    assert [processes[(pid, 0)]["name"] for pid in (1, 2)] == ["n8-shared-r1", "n3-shared-r1"]
    guests = [
        name for name in (a["name"] for a in named(events, "thread_name").values()) if not name.endswith(" calls")
    ]
    assert len(guests) == 8 + 3
    for track in tracks(events).values():
        parents(track)


def test_console_logs_go_on_the_guest_clock_and_refuse_the_host_clock() -> None:
    from tests.conftest import log

    runs = load_runs([log("001"), log("016")])
    events = check_structure(trace(runs))
    assert {e["args"]["clock"] for e in events if e["ph"] != "M"} == {"guest"}
    guests = [a["name"] for a in named(events, "thread_name").values() if not a["name"].endswith(" calls")]
    assert guests == [log("001").name, log("016").name]
    with pytest.raises(ExportError, match="no host clock"):
        trace(runs, clock="host")


def test_trace_processor_reads_it(shared: Run, crash: Run, tmp_path: Path) -> None:
    binary = shutil.which("trace_processor_shell") or shutil.which("trace_processor")
    if binary is None:
        pytest.skip("no trace_processor_shell on PATH (Perfetto ships it as a download; none without network)")
    path = tmp_path / "trace.json"
    document = trace([shared, crash])
    path.write_text(json.dumps(document))
    query = tmp_path / "q.sql"
    query.write_text(
        "select 'slices=' || count(*) from slice where dur >= 0;\n"
        "select 'threads=' || count(distinct name) from thread where name like 'guest-%';\n"
    )
    result = subprocess.run([binary, "-q", str(query), str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    complete = sum(1 for e in document["traceEvents"] if e["ph"] in ("X", "i"))
    assert f"slices={complete}" in result.stdout
    assert "threads=8" in result.stdout
