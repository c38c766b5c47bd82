"""What a `run --json` or `parse --json` object (and each cell's run in a bench's results.json)
may hold, when compare or export reads one from a file: the same field tables as a recording's
(`recording.schema`), so a field of the wrong type or out of range is left out with one line
saying so (`run.json: guests[2]: phases is not a list of phases`), the rest is read, and no
value reaches arithmetic it would break. Strings come back `shown`.
"""

from __future__ import annotations

from typing import Any

from ..recording.schema import (
    COUNT,
    CRASH,
    HOST,
    INT32,
    MAX_ITEMS,
    STEP,
    TEXT,
    UNIKRAFT,
    Bad,
    Check,
    clean,
    flag,
    number,
    optional,
    rows,
    table,
    text,
)

SECONDS = optional(number(-1e9, 1e9))
EDGES = table({"start": SECONDS, "end": SECONDS}, "a start and an end", ("start", "end"))
TIMED = {"start": SECONDS, "end": SECONDS, "clock": TEXT, "guest": EDGES, "host": EDGES}
PHASE = table(
    {"name": text, "parent": TEXT, "bound": optional(flag), **TIMED},
    "a phase",
    ("name", "start", "end", "clock", "guest", "host"),  # required: older JSON has no parent or bound
)
CALL = table(
    {
        "phase": TEXT,
        "kind": TEXT,
        "address": TEXT,
        "name": TEXT,
        "library": TEXT,
        "library_from": TEXT,
        **TIMED,
    },
    "a call",
)
FIGURES = ("boot", "mount", "main", "ready", "total")


def _clocks(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        raise Bad("is not an object of clocks")
    return {text(key): text(clock) for key, clock in value.items()}


TIMES = table({name: SECONDS for name in (*FIGURES, "halt_wait")} | {"clocks": optional(_clocks)}, "the figures")
GUEST_CLOCK = table(
    {
        "rate": SECONDS,
        "ci": optional(rows(number(-1e9, 1e9), "numbers")),
        "source": TEXT,
        "skewed": optional(flag),
        "corrected": optional(flag),
        "tsc_estimate_hz": optional(COUNT),
        "reference_hz": optional(COUNT),
        "fit": optional(
            table(
                {
                    "rate": SECONDS,
                    "ci": optional(rows(number(-1e9, 1e9), "numbers")),
                    "points": optional(COUNT),
                    "host_span_s": SECONDS,
                },
                "a fit",
            )
        ),
    },
    "a guest clock",
)
READY = table({"regex": TEXT, "line": TEXT, "not_ready": TEXT}, "a ready line")


def _usage(value: Any) -> dict[str, Any]:
    """`cpu`: per phase, numbers (on-CPU and waiting seconds, shares)."""
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        raise Bad("is not an object of phases")
    result = {}
    for phase, usage in value.items():
        if not isinstance(usage, dict):
            raise Bad(f"{text(phase)} is not an object")
        result[text(phase)] = {text(key): SECONDS(item) for key, item in usage.items()}
    return result


GUEST: dict[str, Check] = {
    "name": TEXT,
    "source": TEXT,
    "unikraft": optional(UNIKRAFT),
    "status": TEXT,
    "exit_code": optional(INT32),
    "crash": optional(CRASH),
    "phases": optional(rows(PHASE, "phases")),
    "calls": optional(rows(CALL, "calls")),
    "lines": optional(COUNT),
    "unrecognised": optional(COUNT),
    "ready": optional(READY),
    "guest_clock": optional(GUEST_CLOCK),
    "times": optional(TIMES),
    "cpu": optional(_usage),
    "script": optional(rows(STEP, "script steps")),
    "console": optional(
        table(
            {
                "bytes": optional(COUNT),
                "debug_bytes": optional(COUNT),
                "cost_s": SECONDS,
                "ci": optional(rows(number(0, 1e9), "seconds")),
                "debug_cost_s": SECONDS,
                "in_guest_s": SECONDS,
                "per_byte_s": SECONDS,
                "why": TEXT,
            },
            "a console's cost",
        )
    ),
}
"""A guest of `run --json` beside `host` (checked field by field as a recording's)."""


def _any(value: Any) -> Any:
    return value  # its place kept; checked field by field next


def clean_guests(value: Any, where: str, problems: list[str]) -> list[dict[str, Any]]:
    """The guests that are objects, each with its sound fields."""
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        problems.append(f"{where}: guests is not a list of guests")
        return []
    guests = []
    for index, guest in enumerate(value):
        if not isinstance(guest, dict):
            problems.append(f"{where}: guests[{index}] is not a guest: left out")
            continue
        cleaned = clean(guest, GUEST | {"host": _any}, f"{where}: guests[{index}]", problems)
        if "host" in guest:
            cleaned["host"] = clean(guest["host"], HOST, f"{where}: guests[{index}]: host", problems)
        guests.append(cleaned)
    return guests


def clean_run(document: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    """A run's object: its guests cleaned; the rest (the summary, a bench's plan) as it was, since
    only the guests are computed from (the summary is recomputed from them)."""
    if "guests" in document:
        return document | {"guests": clean_guests(document["guests"], where, problems)}
    return document


def clean_input(document: Any, where: str, problems: list[str]) -> Any:
    """A JSON input as compare and export read it: a run, or a bench with a run per cell."""
    if not isinstance(document, dict):
        return document
    if document.get("kind") == "bench" and not isinstance(document.get("cells"), list):
        problems.append(f"{where}: cells is not a list of cells")
        return document | {"cells": []}
    if document.get("kind") == "bench":
        cells = []
        for index, cell in enumerate(document["cells"]):
            if not isinstance(cell, dict):
                problems.append(f"{where}: cells[{index}] is not a cell: left out")
                continue
            run = cell.get("run")
            cells.append(
                cell | {"run": clean_run(run, f"{where}: cells[{index}]", problems)} if isinstance(run, dict) else cell
            )
        return document | {"cells": cells}
    return clean_run(document, where, problems)
