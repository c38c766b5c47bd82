"""`uktrace bench --observer-check`: what uktrace itself costs the figures it reports.

Each (concurrency, fs mode, round) of the bench also runs unobserved (`launch.unobserved`: the same
QEMU command line, session, priority and start gate, the console into a file nobody reads live),
interleaved with the traced cells in the plan's seeded order. Afterwards each unobserved console is
parsed as a saved log, and traced against unobserved is compared with `uktrace compare`'s own method
(`analysis.compare`): per figure, the tracer's effect (median traced − median unobserved) with its
95 % interval and a verdict.

What an unobserved run can give: `total` (host clock: spawn to the VMM's exit, as traced) and the
in-guest phases on the guest clock. It has no host arrival times, so `firmware`, `boot` and every
host-clock figure exist on the traced side only. Its guest clocks are read as the traced runs' are:
a guest whose TSC calibration was disturbed is corrected by the TSC frequency pooled from the traced
runs of the same cell (`model.clock_rate`, `FixedReference`); a traced cell with no pooled frequency
leaves its unobserved twin's stamps as printed.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from ..launch.options import prepare
from ..launch.unobserved import Unobserved, run_unobserved
from ..launch.waker import INTERVAL_S, Waker
from ..model.clock_rate import FixedReference, Reference
from ..model.json_shape import timeline_dict
from ..recording.logs import trace_log
from .bench_labels import fs_label
from .compare import CANT_TELL, FASTER, MIN_EFFECT, MISSING, NO_CHANGE, SLOWER, MetricComparison, compare_cell
from .observer_effect import signed_percent
from .pooled import cell_label
from .report import _s, _signed, cell_booting, undecided_sentence
from .samples import bench_key, from_document

if TYPE_CHECKING:
    from .bench import Bench
    from .bench_plan import CellRound

BOTH_SIDES = "total and the in-guest phases on the guest clock"
"""What an unobserved run measures as a traced one does."""
UNOBSERVED, WAKER, TRACED = "unobserved", "unobserved + waker", "traced"
SIDES = (UNOBSERVED, TRACED)


def run_cell(bench: Bench, cell: CellRound, record_dir: Path) -> dict[str, Any]:
    """Run `cell` unobserved: results.json's entry, its `run` to be completed by `finish`."""
    options = replace(bench.options, count=cell.concurrency, jobs=None, fs_mode=cell.fs_mode, fs_type=cell.fs_type)
    specs, shares = prepare(options)
    interval = waker_interval(bench, cell)
    try:
        record_dir.mkdir(parents=True, exist_ok=True)
        load_before = os.getloadavg()
        began = time.monotonic()
        with Waker(interval) if cell.waker else contextlib.nullcontext():
            guests = anyio.run(
                partial(
                    run_unobserved,
                    specs,
                    record_dir,
                    gate=not bench.no_gate,
                    lower=bench.lower_guests,
                    timeout=options.timeout if options.timeout is not None else 60.0,
                )
            )
        wall = time.monotonic() - began
        load_after = os.getloadavg()
    finally:
        shares.cleanup()
    return {
        "id": cell.id,
        "concurrency": cell.concurrency,
        "fs_mode": cell.fs_mode,
        "fs_type": cell.fs_type,
        "round": cell.round,
        "waker_s": round(interval, 6) if cell.waker else None,
        "recording": os.path.relpath(record_dir, bench.out),
        "wall_s": round(wall, 6),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in load_after],
        "guests": [_host(guest) for guest in guests],
        "run": None,
    }


def waker_interval(bench: Bench, cell: CellRound) -> float:
    """The waker's sleep for `cell`: as often as uktrace itself woke in the traced runs of the same
    cell so far (the median of their `wakeups_per_s`: ~190 a second at 10 test guests here, ~240 at
    50 and 100), `INTERVAL_S` before any ran. A waker steadier or busier than uktrace would credit
    its wake-ups with more than they do."""
    rates: list[float] = []
    for done in bench.cells:
        booting = done.run["summary"]["tracer"]["booting"] if done.cell.key == cell.key else None
        if booting is not None and booting["wakeups_per_s"]:
            rates.append(booting["wakeups_per_s"])
    return 1 / statistics.median(rates) if rates else INTERVAL_S


def _waker_rate(results: dict[str, Any], key: str) -> str:
    """How often the cell's waker woke (`waker_s`, the median of its rounds), and uktrace's loop in
    its traced rounds (`wakeups_per_s`): how alike the two were."""
    sleeps = [
        entry["waker_s"]
        for entry in results.get("unobserved") or []
        if entry.get("waker_s") and bench_key((entry["concurrency"], cell_label(entry))) == key
    ]
    woke = [
        booting["wakeups_per_s"]
        for cell in results.get("cells") or []
        if bench_key((cell["concurrency"], cell_label(cell))) == key
        and (booting := cell_booting(cell)).get("wakeups_per_s") is not None
    ]
    waker = f"{1 / statistics.median(sleeps):.0f} times a second" if sleeps else "as often as uktrace"
    traced = f"; uktrace's loop, traced: {statistics.median(woke):.0f}" if woke else ""
    return waker + traced


def finish(results: dict[str, Any], out: Path) -> None:
    """Parse every unobserved console, its guest clock read with the pooled TSC frequency of the
    traced cells of the same concurrency and fs mode: each entry's `run` as `run --json` has it."""
    references = _references(results["cells"])
    for entry in results.get("unobserved") or []:
        reference = references.get((entry["concurrency"], fs_label(entry)))
        guests = []
        for host in entry["guests"]:
            console = out / entry["recording"] / host["name"] / "console.raw"
            clock = FixedReference(reference) if reference is not None else None
            timeline = trace_log(console, name=host["name"], reference=clock) if console.is_file() else None
            guest: dict[str, Any] = (
                dict(timeline_dict(timeline)) if timeline is not None else {"name": host["name"], "phases": []}
            )
            guest["status"] = _status(guest, host)
            guest["times"] = {"total": host["total_s"], "clocks": {"total": "host"}}
            guest["host"] = host
            guests.append(guest)
        entry["run"] = {"guests": guests, "summary": {"observed": False, "spawn_spread_s": _spread(entry["guests"])}}


def findings(results: dict[str, Any]) -> list[str]:
    """Per cell, the tracer's effect on each figure both sides measure, with compare's verdicts;
    then, where the cell also ran beside a waker, how much of it the wake-ups alone make and what
    uktrace's work does beyond them."""
    lines = []
    effect = _comparisons(results)
    split = _split(results, effect)
    for key, row in effect:
        said = _said(row, SIDES, "uktrace changed")
        lines.append(f"**{key}:** " + (said or "nothing both sides measured") + ".")
        if key in split:
            wakeups, beyond = split[key]
            alone = _said(wakeups, (UNOBSERVED, WAKER), "a thread that only wakes changed")
            work = _said(beyond, (WAKER, TRACED), "uktrace's work changed")
            lines.append(
                f"**{key}, of which:** its wake-ups alone (unobserved beside a thread that only wakes, "
                f"{_waker_rate(results, key)}: `{WAKER}` against `{UNOBSERVED}`): "
                f"{alone or 'nothing measured'}. Beyond them (`{TRACED}` against `{WAKER}`): "
                f"{work or 'nothing measured'}."
            )
    if lines and (started := spreads(results)):
        lines.append("Guests started within (first to last, median of rounds): " + "; ".join(started) + ".")
    if lines:
        lines.append(
            f"An unobserved run measures {BOTH_SIDES}: nothing arrives anywhere while it runs, so firmware, "
            "boot and the host clock's figures have no unobserved side."
        )
    return lines


def _said(row: Sequence[MetricComparison], sides: tuple[str, str], moved_by: str) -> str:
    """One comparison's sentences: what moved (`moved_by ...`), what compare cannot judge yet, what
    stayed within the noise; empty when nothing was compared."""
    moved, same = [], []
    undecided: dict[str, list[MetricComparison]] = {}
    for metric in row:
        if metric.verdict in (SLOWER, FASTER) and metric.interval is not None and metric.difference is not None:
            low, high = metric.interval
            moved.append(
                f"{metric.metric} {_signed(metric.difference)} ({_s(metric.median_a)} {sides[0]} → "
                f"{_s(metric.median_b)} {sides[1]}, {_share(metric)}, 95 % CI {_signed(low)} to {_signed(high)}, "
                f"{metric.clock} clock)"
            )
        elif metric.verdict == NO_CHANGE:
            same.append(f"{metric.metric} ({_share(metric)})")
        elif metric.verdict == CANT_TELL:
            undecided.setdefault(metric.needs(sides, "round") or "", []).append(metric)
    parts = []
    if moved:
        parts.append(f"{moved_by} " + "; ".join(moved))
    parts += [undecided_sentence(rows, needs, sides) for needs, rows in undecided.items()]
    if same:
        parts.append("no change beyond the noise: " + ", ".join(same))
    return ". ".join(parts[:1] + [part[:1].upper() + part[1:] for part in parts[1:]])


def table(results: dict[str, Any]) -> list[str]:
    """Markdown: per cell and figure both sides measured, the medians, the effect and its verdict."""
    rows = [
        "| cell | figure | clock | unobserved p50 | traced p50 | effect | 95 % CI | verdict |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    for key, row in _comparisons(results):
        for metric in row:
            interval = "—" if metric.interval is None else " to ".join(map(_signed, metric.interval))
            effect = "—" if metric.difference is None else f"{_signed(metric.difference)} ({_share(metric)})"
            rows.append(
                f"| {key} | {metric.metric} | {metric.clock} | {_s(metric.median_a)} | {_s(metric.median_b)} "
                f"| {effect} | {interval} | {metric.verdict} |"
            )
    return rows if len(rows) > 2 else []


def as_json(results: dict[str, Any]) -> list[dict[str, Any]]:
    """results.json's `observer`: per cell, each compared figure as compare's JSON has it (traced
    against unobserved); with the waker's side, `wakeups` (beside the waker against unobserved) and
    `beyond_wakeups` (traced against beside the waker)."""
    effect = _comparisons(results)
    split = _split(results, effect)
    found = []
    for key, row in effect:
        entry: dict[str, Any] = {"cell": key, "metrics": [metric.as_dict() for metric in row]}
        if key in split:
            wakeups, beyond = split[key]
            entry["wakeups"] = [metric.as_dict() for metric in wakeups]
            entry["beyond_wakeups"] = [metric.as_dict() for metric in beyond]
        found.append(entry)
    return found


def _split(
    results: dict[str, Any], effect: list[tuple[str, list[MetricComparison]]]
) -> dict[str, tuple[list[MetricComparison], list[MetricComparison]]]:
    """Per cell that also ran beside the waker: (the waker's side against unobserved, traced against
    the waker's side), over the figures the tracer's effect itself is judged on (two unobserved sides
    would also compare the phases a traced run reads on the host clock)."""
    judged = {key: {metric.metric for metric in row} for key, row in effect}
    wakeups = dict(_comparisons(results, WAKER, UNOBSERVED))
    beyond = dict(_comparisons(results, TRACED, WAKER))
    return {
        key: ([m for m in wakeups[key] if m.metric in names], [m for m in beyond[key] if m.metric in names])
        for key, names in judged.items()
        if key in wakeups and key in beyond
    }


def kept(results: dict[str, Any]) -> list[dict[str, Any]]:
    """What a later run here is told (`launch.observer_checks`): per cell, its size, filesystem and
    each figure's verdict with the effect and its interval."""
    found = []
    effect = _comparisons(results)
    split = _split(results, effect)
    for key, row in effect:
        concurrency, mode = _order(key)
        metrics = [
            {
                "metric": m.metric,
                "clock": m.clock,
                "verdict": m.verdict,
                "difference": m.difference,
                "median_unobserved": m.median_a,
                "interval": None if m.interval is None else list(m.interval),
            }
            for m in row
        ]
        entry = {"cell": key, "concurrency": concurrency, "fs": mode.replace("-", " ") or None, "metrics": metrics}
        if key in split:  # only the verdicts: a run says which way each part moved, the report says how far
            wakeups, beyond = split[key]
            entry["wakeups"] = [{"metric": m.metric, "verdict": m.verdict} for m in wakeups]
            entry["beyond_wakeups"] = [{"metric": m.metric, "verdict": m.verdict} for m in beyond]
        found.append(entry)
    return found


def _entries(results: dict[str, Any], side: str) -> list[dict[str, Any]]:
    """The cells run on one side: traced, unobserved, or unobserved beside the waker."""
    if side == TRACED:
        return list(results.get("cells") or [])
    waker = side == WAKER
    return [e for e in results.get("unobserved") or [] if e.get("run") and bool(e.get("waker_s")) == waker]


def _comparisons(
    results: dict[str, Any], after: str = TRACED, before: str = UNOBSERVED
) -> list[tuple[str, list[MetricComparison]]]:
    """Per cell both sides ran, `after` against `before` by compare's method (the difference is
    after − before), the figures both can measure."""
    first, second = _entries(results, before), _entries(results, after)
    if not first or not second:
        return []
    a = from_document({"kind": "bench", "cells": first}, before)
    b = from_document({"kind": "bench", "cells": second}, after)
    found = []
    for key in sorted(set(a.cells) & set(b.cells), key=_order):
        metrics = [m for m in compare_cell(key, a.cells[key], b.cells[key]).metrics if _comparable(m)]
        found.append((key, metrics))
    return found


def _comparable(metric: MetricComparison) -> bool:
    """Measured on both sides, on one clock: `total` on the host's, a phase on the guest's. A phase
    the traced run read on the host clock (before the guest's timer ran, or `exit`, which lasts
    until the VMM's exit) has no unobserved twin: the unobserved side has only guest stamps."""
    if metric.verdict == MISSING:
        return False
    return metric.clock == "host" if metric.metric == "total" else "host" not in metric.clock


def _order(key: str) -> tuple[int, str]:
    n, _, mode = key.removeprefix("n").partition("-")
    return int(n), mode


def _references(cells: Sequence[dict[str, Any]]) -> dict[tuple[int, str], Reference]:
    """Per (concurrency, fs mode), the median of the traced rounds' pooled TSC frequencies."""
    found: dict[tuple[int, str], list[float]] = {}
    for cell in cells:
        hz = ((cell.get("run") or {}).get("summary") or {}).get("guest_clock", {}).get("reference_hz")
        if isinstance(hz, int | float) and hz > 0:
            found.setdefault((cell["concurrency"], fs_label(cell)), []).append(float(hz))
    return {key: Reference(statistics.median(v), min(v), max(v), len(v)) for key, v in found.items()}


def _host(guest: Unobserved) -> dict[str, Any]:
    return {
        "name": guest.name,
        "spawn_ns": guest.spawn_ns,
        "ready_ns": guest.ready_ns,
        "released_ns": guest.released_ns,
        "exit_ns": guest.exit_ns,
        "total_s": None if guest.total_s is None else round(guest.total_s, 6),
        "qemu_status": guest.qemu_status,
        "error": guest.error,
    }


def _spread(hosts: Sequence[dict[str, Any]]) -> float | None:
    """Seconds from the first guest's start to the last's, as a traced run's `spawn_spread_s`: the
    gate's release, else the spawn."""
    starts = sorted(s for h in hosts if (s := h.get("released_ns") or h.get("spawn_ns")) is not None)
    return (starts[-1] - starts[0]) / 1e9 if len(starts) > 1 else None


def spreads(results: dict[str, Any]) -> list[str]:
    """Per cell, how far apart its guests started on each side (the median over rounds): two sides
    that did not start their guests alike are not the same cell, whatever else they share."""
    found: dict[str, dict[str, list[float]]] = {}
    for side in (UNOBSERVED, WAKER, TRACED):
        for entry in _entries(results, side):
            spread = ((entry.get("run") or {}).get("summary") or {}).get("spawn_spread_s")
            if isinstance(spread, int | float):
                key = bench_key((entry["concurrency"], cell_label(entry)))
                found.setdefault(key, {}).setdefault(side, []).append(float(spread))
    return [
        f"{key}: " + ", ".join(f"{side} {statistics.median(spread) * 1e3:.1f} ms" for side, spread in sides.items())
        for key, sides in sorted(found.items(), key=lambda item: _order(item[0]))
        if len(sides) >= 2
    ]


def _status(guest: dict[str, Any], host: dict[str, Any]) -> str:
    """The parsed console's status, unless the VMM never ran or was ended at the timeout."""
    if host.get("error"):
        return "timeout" if str(host["error"]).startswith("no exit") else "failed"
    return str(guest.get("status") or "failed")


def _share(metric: MetricComparison) -> str:
    """The effect as a share of the unobserved median; in milliseconds where the band is compare's
    floor (a phase of 0.1 ms that read 0.0 ms is not a 100 % effect)."""
    if metric.difference is None or not metric.median_a:
        return "—"
    if metric.band is not None and abs(metric.median_a) * MIN_EFFECT < metric.band:
        return _signed(metric.difference)
    return signed_percent(metric.difference / metric.median_a * 100)
