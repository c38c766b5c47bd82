"""Where uktrace keeps what it learns about this host (the accelerator probe, the console
calibration, the observer checks): `$XDG_CACHE_HOME/uktrace/NAME`, `~/.cache/uktrace/NAME` without
it, each file replaced whole so a reader never sees half of one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def cache_file(name: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "uktrace" / name


def replace_json(path: Path, value: Any, indent: int = 2) -> None:
    """`value` as `path`'s whole new content, written beside it first, under a name of this
    process's (two uktraces may keep a finding at once): raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(value, indent=indent) + "\n")
    os.replace(temporary, path)
