"""How a guest's phases and calls nest, as the rows a table lists them in.

A nested phase lies inside its parent (`Phase.parent`: the bus probe and the mount in `init_table`,
the 9P handshake in the phase it began in), and a boot table's call inside its table's phase. The
CLI's and the TUI's tables both list a phase, the calls of its table under it, then the phases
nested in it, each one step further in than its parent, so what contains what reads the same in
every view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from uktrace.parsers.phases import INIT_PARTS, NESTED, PARENTS

from .calls import Call
from .timeline import Phase


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a phase table: a phase or a call, `depth` steps in from the top level."""

    item: Phase | Call
    depth: int
    last: bool = False
    """The last item inside its parent (a tree draws it `└` rather than `├`)."""


def rows(phases: Sequence[Phase], calls: Iterable[Call] = (), calls_in_order: bool = False) -> list[Row]:
    """Top-level phases in the order given (start order), each followed by what it contains one step
    further in: its table's calls and the phases nested in it, in the order they began (or, with
    `calls_in_order`, the calls in the order given, longest first say, then the nested phases);
    calls whose phase is not among `phases` (a table whose marker the console lacks) at the end."""
    names = {phase.name for phase in phases}
    inside: dict[str, list[Phase | Call]] = {}
    for call in calls:
        inside.setdefault(call.phase, []).append(call)
    top = []
    for phase in phases:
        if phase.parent is not None and phase.parent in names:
            inside.setdefault(phase.parent, []).append(phase)
        else:
            top.append(phase)
    result: list[Row] = []

    def walk(item: Phase | Call, level: int, last: bool) -> None:
        result.append(Row(item, level, last))
        if isinstance(item, Phase):
            children = inside.pop(item.name, [])
            if calls_in_order:
                children.sort(key=lambda child: isinstance(child, Phase))  # stable: calls as given
            else:
                children.sort(key=_began)
            for index, child in enumerate(children):
                walk(child, level + 1, index == len(children) - 1)

    for phase in top:
        walk(phase, 0, False)
    rest = [call for items in inside.values() for call in items]
    result.extend(Row(call, 1, i == len(rest) - 1) for i, call in enumerate(rest))
    return result


def _began(item: Phase | Call) -> tuple[bool, int]:
    """Start order within a parent: calls and phases by the console line that began them."""
    return (item.first_line is None, item.first_line or 0)


LEGACY_NESTED = frozenset({"9p_handshake", "ready"})
"""What JSON written before phases named their `parent` nested (in the top-level phase current when
it began): there the bus probe and the mount were top-level phases after a short `init_table`."""


def upgraded(phases: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Phase dicts of any JSON uktrace wrote, in today's shape: each with its `parent`. Older JSON
    (no `parent` anywhere) ended `init_table` where the bus probe began; here it runs on to the end
    of the last of its parts (`phases.INIT_PARTS`), which become its children, so a figure of
    `init_table` means one thing whichever uktrace wrote the file (compare reads both)."""
    result = [dict(phase) for phase in phases]
    if any("parent" in phase for phase in result):
        return result
    current: str | None = None
    for phase in result:
        name = phase.get("name")
        phase["parent"] = current if name in LEGACY_NESTED else None
        if name not in LEGACY_NESTED:
            current = str(name)
    table = next((p for p in result if p.get("name") == "init_table"), None)
    parts = [p for p in result if p.get("name") in INIT_PARTS]
    if table is None or not parts:
        return result
    last = parts[-1]
    for part in parts:
        part["parent"] = "init_table"
    table["host"] = _extended(table.get("host"), last.get("host"))
    table["guest"] = _extended(table.get("guest"), last.get("guest"))
    own = table["guest"] if table.get("clock") != "host" else table["host"]
    if isinstance(own, Mapping):
        table["start"], table["end"] = own.get("start"), own.get("end")
    return result


def _extended(edges: object, last: object) -> object:
    """`edges` ({start, end} seconds) running on to `last`'s end, where both are known."""
    if not isinstance(edges, Mapping) or not isinstance(last, Mapping) or last.get("end") is None:
        return edges
    return {**edges, "end": last.get("end")}


def upgraded_document(document: Any) -> Any:
    """A JSON input uktrace wrote (`run --json`, `parse --json`, a bench's results.json), its
    guests' phases `upgraded` in place."""
    if not isinstance(document, Mapping):
        return document
    cells = document.get("cells")
    runs = (
        [document, *(cell.get("run") for cell in cells if isinstance(cell, Mapping))]
        if isinstance(cells, list)
        else [document]
    )
    for run in runs:
        guests = run.get("guests") if isinstance(run, Mapping) else None
        for guest in guests if isinstance(guests, list) else []:
            if isinstance(guest, dict) and isinstance(guest.get("phases"), list):
                guest["phases"] = upgraded([p for p in guest["phases"] if isinstance(p, Mapping)])
    return document


def level(name: str) -> int:
    """How far in phase `name` sits where no one guest's nesting is at hand (a table across guests
    indents by it): 0 at the top level, 1 for the init table's parts and `ready`, 2 for the 9P
    handshake (in mount, or in the bus probe that starts the device)."""
    if name in PARENTS:
        return 1 + level(PARENTS[name])
    return level("mount") + 1 if name in NESTED else 0
