"""How a bench cell's filesystem is named in every output: its mode, and its type unless 9P.

One function for the cells' ids, the report's tables and findings, the plots and the observer
check, so `10 shared virtiofs` means the same cells wherever it appears.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FS_TYPES = ("9p", "virtiofs")


def fs_label(cell: Mapping[str, Any]) -> str:
    """`shared` (9P: the bench's only filesystem before VirtioFS, and results.json written then has
    no `fs_type`), `shared virtiofs`."""
    fs_type = cell.get("fs_type") or "9p"
    return str(cell["fs_mode"]) if fs_type == "9p" else f"{cell['fs_mode']} {fs_type}"
