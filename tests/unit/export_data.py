"""Inputs for the export tests: the committed recordings (read at test time: they get re-recorded),
a bench directory built from them, and a hand-made guest with calls and rounding overlaps."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tests.conftest import DATA
from uktrace.export.runs import Run, load_runs, replay

RECORDINGS = DATA / "recordings"
SHARED = RECORDINGS / "shared-8"
CRASH = RECORDINGS / "crash-3"


def recording(directory: Path) -> Run:
    (run,) = load_runs([directory])
    return run


def make_bench(directory: Path) -> Path:
    """A bench directory: results.json with two cells (the recordings' runs) whose `recording`s
    are copies of the committed recordings, as `uktrace bench --out` lays them out (a link would
    not be followed: a recording's paths stay inside it)."""
    cells = []
    for position, (cell_id, source, concurrency) in enumerate(
        [("n8-shared-r1", SHARED, 8), ("n3-shared-r1", CRASH, 3)], 1
    ):
        shutil.copytree(source, directory / "cells" / cell_id)
        cells.append(
            {
                "id": cell_id,
                "concurrency": concurrency,
                "fs_mode": "shared",
                "round": 1,
                "position": position,
                "recording": f"cells/{cell_id}",
                "run": replay(source).document,
            }
        )
    results = {"format": 1, "kind": "bench", "plan": {"fs_modes": ["shared"]}, "cells": cells, "summary": {}}
    (directory / "results.json").write_text(json.dumps(results))
    return directory


def edges(start: float | None, end: float | None) -> dict[str, float | None]:
    return {"start": start, "end": end}


def phase(name: str, host: tuple[float, float], guest: tuple[float, float] | None = None) -> dict[str, Any]:
    clock = "guest" if guest is not None and guest[0] > 0 else "host"
    own = guest if clock == "guest" and guest is not None else host
    return {
        "name": name,
        "start": own[0],
        "end": own[1],
        "clock": clock,
        "guest": edges(*guest) if guest else edges(None, None),
        "host": edges(*host),
    }


def call(phase_name: str, name: str, host: tuple[float, float], guest: tuple[float, float]) -> dict[str, Any]:
    return {
        "phase": phase_name,
        "kind": "constructor" if phase_name == "constructors" else "init",
        "name": name,
        "address": "0x1033e0",
        "library": "libukboot",
        "start": guest[0],
        "end": guest[1],
        "clock": "guest",
        "guest": edges(*guest),
        "host": edges(*host),
    }


def guest_with_calls(name: str = "guest-1", spawn_ns: int = 1_000_000_000) -> dict[str, Any]:
    """A guest whose JSON has the rounding overlaps the exports must clamp: its 9P handshake ends
    1 µs after mount, its second constructor starts 1 µs before the first ended, and its last
    init function ends after init_table; plus a call in a phase the guest never reached."""
    return {
        "name": name,
        "status": "exited",
        "exit_code": 0,
        "crash": None,
        "host": {"spawn_ns": spawn_ns},
        "phases": [
            phase("spawn", (0.0, 0.1)),
            phase("firmware", (0.1, 0.2)),
            phase("constructors", (0.2, 0.25), (0.0, 0.0)),
            phase("subsystems", (0.25, 0.3), (0.0, 0.04)),
            phase("init_table", (0.3, 0.31), (0.04, 0.05)),
            phase("mount", (0.31, 0.33), (0.05, 0.07)),
            phase("9p_handshake", (0.315, 0.330001), (0.055, 0.07)),
            phase("main", (0.33, 0.4), (0.07, 0.14)),
            phase("exit", (0.4, 0.41)),
        ],
        "calls": [
            call("constructors", "ukplat_ctor", (0.2, 0.22), (0.0, 0.0)),
            call("constructors", "uk_bus_ctor", (0.219999, 0.24), (0.0, 0.0)),
            call("init_table", "vfs_init", (0.3, 0.305), (0.04, 0.045)),
            call("init_table", "late_init", (0.305, 0.310002), (0.045, 0.05)),
            call("bus_probe", "never_reached", (0.5, 0.6), (0.2, 0.3)),
        ],
    }


SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(root: ET.Element) -> set[str]:
    """Every text matplotlib drew (a multi-line one's lines joined by newlines)."""
    found = set()
    for group in root.iter(f"{SVG}g"):
        lines = ["".join(node.itertext()).strip() for node in group.findall(f"{SVG}text")]
        if lines:
            found.add("\n".join(lines))
    return found


def svg_ids(root: ET.Element, prefix: str) -> list[str]:
    return sorted(node.get("id", "") for node in root.iter() if node.get("id", "").startswith(prefix))
