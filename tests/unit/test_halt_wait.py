"""A VMM that stayed after its guest halted: its `exit` (mostly uktrace's wait before ending it)
counts for no figure across guests, in the tables (`figures.json_readings`) as in compare
(`samples.add_guest`); `total` is the guest's own, `halt_wait` apart."""

from __future__ import annotations

from typing import Any

from uktrace.analysis.figures import json_readings
from uktrace.analysis.samples import cell_of


def guest(lingered: bool) -> dict[str, Any]:
    edges = [("main", 0.10, 0.20), ("exit", 0.20, 5.25 if lingered else 0.21)]
    phases = [
        {"name": name, "start": start, "end": end, "clock": "host", "guest": {"start": None, "end": None},
         "host": {"start": start, "end": end}}
        for name, start, end in edges
    ]  # fmt: skip
    times: dict[str, Any] = {
        "boot": 0.1,
        "total": 0.2 if lingered else 0.21,
        "clocks": {"boot": "host", "total": "host"},
    }
    if lingered:
        times["halt_wait"] = 5.05
    return {"name": "g", "status": "exited", "exit_code": 0, "phases": phases, "times": times,
            "host": {"lingered": lingered}}  # fmt: skip


def test_the_exit_of_a_vmm_uktrace_ended_counts_for_no_figure() -> None:
    assert json_readings(guest(lingered=False))["exit"][0] == 0.21 - 0.20
    readings = json_readings(guest(lingered=True))
    assert "exit" not in readings and readings["total"] == (0.2, "host")
    cell = cell_of([guest(lingered=True), guest(lingered=False)])
    assert len(cell.values["exit"]) == 1 and len(cell.values["total"]) == 2
