"""The bench's results as one tidy table (`results.csv`): one row per guest × phase or figure, both
clocks side by side, with the CPU time QEMU got. Ready for pandas, R or a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COLUMNS = (
    "cell",
    "concurrency",
    "fs_mode",
    "fs_type",
    "config",
    "round",
    "guest",
    "node",
    "status",
    "kind",
    "name",
    "clock",
    "seconds",
    "guest_start",
    "guest_end",
    "guest_seconds",
    "host_start",
    "host_end",
    "host_seconds",
    "cpu_seconds",
    "cpu_wait_seconds",
)
"""`kind` is `phase` or `figure` (boot / mount / main / total); `seconds` is on `clock`; `node` is the
cluster node a guest ran on (`--cluster ray:...`; empty on this host), to group by; `config` the
`--vary` values of the cell (`machine=q35 bios=qboot.rom`; empty without `--vary`)."""


def rows(results: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for cell in results["cells"]:
        config = " ".join(f"{name}={value}" for name, value in (cell.get("config") or {}).items())
        common = {k: cell[k] for k in ("concurrency", "fs_mode", "round")} | {"cell": cell["id"], "config": config}
        common["fs_type"] = cell.get("fs_type") or "9p"
        for guest in cell["run"]["guests"]:
            node = guest.get("host", {}).get("node")
            base = common | {"guest": guest["name"], "node": node, "status": guest["status"]}
            cpu = guest.get("cpu", {})
            for phase in guest["phases"]:
                g, h = phase["guest"], phase["host"]
                usage = cpu.get(phase["name"], {})
                yield base | {
                    "kind": "phase",
                    "name": phase["name"],
                    "clock": phase["clock"],
                    "seconds": _span(phase["start"], phase["end"]),
                    "guest_start": g["start"],
                    "guest_end": g["end"],
                    "guest_seconds": _span(g["start"], g["end"]),
                    "host_start": h["start"],
                    "host_end": h["end"],
                    "host_seconds": _span(h["start"], h["end"]),
                    "cpu_seconds": usage.get("cpu_s"),
                    "cpu_wait_seconds": usage.get("wait_s"),
                }
            times = guest.get("times", {})
            for name, clock in times.get("clocks", {}).items():
                yield base | {"kind": "figure", "name": name, "clock": clock, "seconds": times.get(name)}


def _span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round(end - start, 6)


def write_csv(results: dict[str, Any], path: Path) -> None:
    temporary = path.with_suffix(".csv.tmp")
    with temporary.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        for row in rows(results):
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    temporary.replace(path)
