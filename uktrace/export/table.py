"""Runs as one tidy CSV: the bench's `results.csv` columns (`uktrace.analysis.tidy`), one row per
guest × phase and figure, plus one per named call when the guests have them.

The columns are tidy's, so a recording, a bench and a log load into the same data frame; a run
that is not a bench cell leaves `concurrency`, `fs_mode` and `round` empty and names itself in
`cell`. Calls add the columns after tidy's: the phase they ran in, their kind, library and address.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..analysis.tidy import COLUMNS as TIDY_COLUMNS
from ..analysis.tidy import rows as tidy_rows
from .runs import Run

CALL_COLUMNS = ("phase", "call_kind", "library", "address")
COLUMNS = (*TIDY_COLUMNS, *CALL_COLUMNS)
"""tidy's columns, then the calls' (empty on phase and figure rows)."""


def rows(run: Run) -> Iterator[dict[str, Any]]:
    """Per guest, tidy's rows (its phases, then its figures), then its calls."""
    fields = {k: (run.cell or {}).get(k) for k in ("concurrency", "fs_mode", "round")}
    for guest in run.guests:
        single = {"cells": [fields | {"id": run.name, "run": {"guests": [_tidy_shape(guest)]}}]}
        yield from tidy_rows(single)
        base = fields | {"cell": run.name, "guest": guest.get("name"), "status": guest.get("status")}
        for call in guest.get("calls") or []:
            if isinstance(call, Mapping):
                yield base | _call_row(call)


def _tidy_shape(guest: Mapping[str, Any]) -> dict[str, Any]:
    """tidy reads `guest` and `host` edges of every phase: a parsed log's are there, older JSON's may not be."""
    empty = {"start": None, "end": None}
    phases = [{"guest": empty, "host": empty, "clock": "guest"} | dict(p) for p in guest.get("phases") or []]
    return dict(guest) | {"phases": phases}


def _call_row(call: Mapping[str, Any]) -> dict[str, Any]:
    own, g, h = (_edges(call), _edges(call.get("guest")), _edges(call.get("host")))
    return {
        "kind": "call",
        "name": call.get("name"),
        "clock": call.get("clock"),
        "seconds": _span(*own),
        "guest_start": g[0],
        "guest_end": g[1],
        "guest_seconds": _span(*g),
        "host_start": h[0],
        "host_end": h[1],
        "host_seconds": _span(*h),
        "phase": call.get("phase"),
        "call_kind": call.get("kind"),
        "library": call.get("library"),
        "address": call.get("address"),
    }


def _edges(edges: object) -> tuple[Any, Any]:
    return (edges.get("start"), edges.get("end")) if isinstance(edges, Mapping) else (None, None)


def _span(start: object, end: object) -> float | None:
    if isinstance(start, int | float) and isinstance(end, int | float):
        return round(end - start, 6)
    return None


def render(runs: Sequence[Run]) -> str:
    """The CSV text, every run's rows in input order."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for run in runs:
        for row in rows(run):
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()
