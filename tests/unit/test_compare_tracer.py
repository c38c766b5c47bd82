"""compare says when uktrace itself took different shares of the CPUs from its inputs' guests."""

from __future__ import annotations

from typing import Any

from tests.conftest import tracer_booting
from uktrace.analysis.samples import from_document
from uktrace.cli.compare import input_json
from uktrace.present.comparison import tracer_note


def guest() -> dict[str, Any]:
    return {"name": "guest-1", "status": "exited", "phases": [], "times": {"total": 0.1}}


def run_json(share: object) -> dict[str, Any]:
    tracer = {"booting": None if share is None else tracer_booting(share)}
    return {"summary": {"tracer": tracer}, "guests": [guest()]}


def test_the_note_when_the_shares_differ_by_more_than_the_goal() -> None:
    headless = from_document(run_json(0.035), "headless.json")
    tui = from_document(run_json(0.089), "tui.json")
    assert (headless.tracer_share, tui.tracer_share) == (0.035, 0.089)
    note = tracer_note([headless, tui])
    assert note is not None and "(A: 3.5 %; B: 8.9 %)" in note
    assert tracer_note([headless, from_document(run_json(0.05), "close.json")]) is None  # 1.5 points apart
    assert input_json(tui)["tracer_share"] == 0.089


def test_an_input_that_does_not_say_or_says_nonsense_is_no_difference() -> None:
    tui = from_document(run_json(0.089), "tui.json")
    for unknown in (run_json(None), run_json("most"), run_json(-1.0), {"guests": [guest()]}):
        samples = from_document(unknown, "other.json")
        assert samples.tracer_share is None and input_json(samples)["tracer_share"] is None
        assert tracer_note([samples, tui]) is None


def test_a_bench_says_the_median_of_its_rounds() -> None:
    cells = [{"concurrency": 10, "fs_mode": "none", "run": run_json(share)} for share in (0.02, 0.05, 0.03)]
    bench = from_document({"kind": "bench", "cells": cells}, "results.json")
    assert sorted(bench.tracer_shares) == [0.02, 0.03, 0.05] and bench.tracer_share == 0.03
