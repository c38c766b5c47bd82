"""What a `run --json` or `parse --json` object (and each cell's run in a bench's results.json)
may hold, when compare or export reads one from a file: the field tables of its types
(`model.shapes.run`, a guest's `host` as guest.json's), so a field of the wrong type or out of
range is left out with one line saying so (`run.json: guests[2]: phases is not a list of
phases`), the rest is read, and no value reaches arithmetic it would break. Strings come back
`shown`.
"""

from __future__ import annotations

from typing import Any

from ..model.shapes.checks import MAX_ITEMS, clean
from ..model.shapes.recording import HOST
from ..model.shapes.run import GUEST


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
