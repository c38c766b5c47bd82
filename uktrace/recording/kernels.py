"""The kernel a recorded run booted, kept with the recording: its identity in each guest.json
(`kernel_image`) and its function symbols once per run in `kernels/<sha256>.symbols`, so a copied
recording still names its crashes after the kernel is rebuilt, moved or deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..kernel.identity import MAX_IMAGE, identify
from ..kernel.symbols import Symbols, find_symbols, load_symbols, parse_symbols, write_symbols
from ..model.json_shape import unikraft_dict
from .files import SYMBOLS_LIMIT, read_file
from .record import RecordingError

if TYPE_CHECKING:
    from ..model.shapes.recording import KernelImage

KERNELS = "kernels"
"""Directory of a recording holding one symbol table per distinct kernel image."""


def record_kernel(recording: Path, kernel: Path) -> KernelImage | None:
    """Identify `kernel` and save its symbols into the recording unless a table of the same image is
    already there; guest.json's `kernel_image`, or None when the kernel cannot be read.

    Hashes the image and reads its symbol table: seconds for a large kernel, so never on the
    event loop (the fleet runs it on the recorder's thread before any guest's metadata)."""
    try:
        image = identify(kernel)
    except OSError:
        return None
    symbols = None
    found = find_symbols(kernel)
    if found is not None:
        source, table = found
        symbols = f"{KERNELS}/{image.sha256}.symbols"
        path = recording / symbols
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_symbols(table, path, source=source.name)
    return {
        "sha256": image.sha256,
        "size": image.size,
        "unikraft": unikraft_dict(image.unikraft),
        "symbols": symbols,
    }


def recorded_symbols(recording: Path, meta: dict[str, Any]) -> Symbols | None:
    """The symbols of the kernel a recorded guest booted: the recording's own table first, else the
    kernel file if it is still there and still the same image. A recording from before kernels were
    identified (no `kernel_image`) trusts any file at the recorded path, as it always did."""
    image = meta.get("kernel_image")
    if isinstance(image, dict) and isinstance(image.get("symbols"), str):
        try:  # inside the recording only, a regular file within its limit (`files`)
            symbols = parse_symbols(read_file(recording, image["symbols"], SYMBOLS_LIMIT))
        except (OSError, RecordingError):
            symbols = None
        if symbols is not None:
            return symbols
    path = Path(meta["kernel"]) if isinstance(meta.get("kernel"), str) and meta["kernel"] else None
    if path is None or not path.is_file():
        return None
    if "kernel_image" in meta:
        if not isinstance(image, dict):
            return None  # unreadable when recorded: whatever is there now is not known to be it
        try:  # the same size first: a path naming some huge file is never hashed
            if path.stat().st_size != image.get("size") or identify(path).sha256 != image.get("sha256"):
                return None  # rebuilt since: its addresses would name the wrong functions
        except OSError:
            return None
    elif path.stat().st_size > MAX_IMAGE:
        return None
    return load_symbols(path)
