"""What `uktrace bench --observer-check` found uktrace itself changed, kept per host.

A check runs every cell twice, traced and unobserved (`analysis.observer`); its verdicts per cell
are kept in `$XDG_CACHE_HOME/uktrace/observer.json`, one entry per host key (this host, its QEMU
and accelerator: `launch.calibration.this_host`) and cell, the latest replacing the one before, so
that a later `uktrace run` of as many guests here can say what its own figures carry. A run whose
size no check measured here says nothing it does not know.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .cache import cache_file, replace_json

METHOD = 3
"""How the kept verdicts were made; entries of another method are not said. 2: unobserved guests
released all at once as traced ones are, and in-guest figures judged on the rounds' medians when
a side's rounds differ (before, a check of 50 or 100 guests called noise an effect). 3: the waker
wakes as often as uktrace did (before, every 1 ms: 3-5x more often, and the split credited
uktrace's wake-ups with an effect they do not have)."""


def cache_path() -> Path:
    return cache_file("observer.json")


def load(path: Path | None = None) -> list[dict[str, Any]]:
    """Every entry kept; a missing, unreadable or damaged file (or entry) is none."""
    try:
        entries = json.loads((path or cache_path()).read_text())
    except (OSError, ValueError):
        return []
    return [entry for entry in entries if _sound(entry)] if isinstance(entries, list) else []


def save(host: Mapping[str, str], cells: Sequence[Mapping[str, Any]], made: float, path: Path | None = None) -> None:
    """Keep each checked cell's verdicts for `host` (`cells`: results.json's `observer` entries with
    their `concurrency` and `fs`), replacing what this host's earlier check said of the same cell."""
    path = path or cache_path()
    new = [{"host": dict(host), "made": made, "method": METHOD, **cell} for cell in cells]
    replaced = {(json.dumps(entry["host"], sort_keys=True), entry["cell"]) for entry in new}
    kept = [e for e in load(path) if (json.dumps(e["host"], sort_keys=True), e["cell"]) not in replaced] + new
    with contextlib.suppress(OSError):  # a cache that cannot be written only means the next run says nothing
        replace_json(path, kept, indent=1)


def find(host: Mapping[str, str], concurrency: int, fs: str | None, path: Path | None = None) -> dict[str, Any] | None:
    """This host's latest check of `concurrency` guests: the one of the same filesystem, else
    any filesystem's (the entry says which)."""
    same = [e for e in load(path) if e["host"] == dict(host) and e["concurrency"] == concurrency]
    same.sort(key=lambda entry: (entry["fs"] == fs, entry["made"]))
    return same[-1] if same else None


def _sound(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    return (
        entry.get("method") == METHOD
        and isinstance(entry.get("host"), dict)
        and isinstance(entry.get("cell"), str)
        and isinstance(entry.get("concurrency"), int)
        and isinstance(entry.get("fs"), str | None)
        and isinstance(entry.get("made"), int | float)
        and isinstance(entry.get("metrics"), list)
        and all(isinstance(metric, dict) for metric in entry["metrics"])
    )
