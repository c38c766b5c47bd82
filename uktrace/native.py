"""The parser and the timeline compiled by mypyc, used only while they match the sources.

Every console line goes through `parsers.console` and `model.timeline`; compiled (`make`, which
runs `python -m uktrace.native_build`) they cost a quarter less CPU a line. The compiled modules
live apart from the sources, in `build/native/` of the checkout, and this finder serves them only
when the manifest written beside them names exactly the sources of today (every `*.py` under the
directories in `SOURCES`, hashed): an edited parser is never shadowed by a stale build; it runs as
plain Python until `make` compiles it again. `UKTRACE_PURE=1` runs plain Python whatever is built.
A wheel or any install without `build/native/` runs plain Python.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
"""The checkout (the package's parent): `parsers/` and `uktrace/` are in it."""
BUILD = ROOT / "build" / "native"
MANIFEST = BUILD / "manifest.json"
GROUP = "uktrace.native_group"
"""mypyc's group: its shared library is the module `uktrace.native_group__mypyc`."""
MODULES = (
    "uktrace.parsers.banner",
    "uktrace.parsers.calls",
    "uktrace.parsers.clock",
    "uktrace.parsers.console",
    "uktrace.parsers.noise",
    "uktrace.parsers.outcomes",
    "uktrace.parsers.phases",
    "uktrace.parsers.printk",
    "uktrace.parsers.records",
    "uktrace.parsers.rules",
    "uktrace.model.calls",
    "uktrace.model.clock_rate",
    "uktrace.model.theil_sen",
    "uktrace.model.timeline",
)
"""What `make` compiles: what every console line runs through."""
SOURCES = ("parsers", "uktrace/model")
"""Directories whose every `*.py` the build depends on: the compiled modules and what they import
of ours (a type they were compiled against may have changed)."""
PURE = "UKTRACE_PURE"


def source_hashes(root: Path = ROOT) -> dict[str, str]:
    """SHA-256 of every source the build depends on, by path relative to `root`."""
    import hashlib  # here, not at the top: `uktrace --version` imports this module and none of it

    hashes = {}
    for directory in SOURCES:
        for path in sorted((root / directory).rglob("*.py")):
            hashes[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def built(manifest: Path = MANIFEST, root: Path = ROOT) -> dict[str, Path] | str:
    """The compiled modules' files by module name when `manifest` matches the sources under
    `root` and this interpreter, else why not (a sentence)."""
    import json

    try:
        document = json.loads(manifest.read_text())
    except FileNotFoundError:
        return "not built (make builds it)"
    except (OSError, ValueError) as error:
        return f"unreadable manifest {manifest}: {error}"
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    if document.get("suffix") != suffix:
        return f"built for another Python ({document.get('suffix')}, this one loads {suffix})"
    if document.get("sources") != source_hashes(root):
        return "stale: the sources changed since it was built (make builds it again)"
    files = {name: manifest.parent / path for name, path in document.get("modules", {}).items()}
    missing = [name for name, path in files.items() if not path.is_file()]
    return f"incomplete: {', '.join(missing)} missing" if missing else files


class _Finder:
    """A meta path finder for the compiled modules: asked before the sources' own finder."""

    def __init__(self, manifest: Path, root: Path) -> None:
        self._manifest = manifest
        self._root = root
        self._files: dict[str, Path] | None = None
        self.state = "plain Python: not imported yet"

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in MODULES and name != f"{GROUP}__mypyc":
            return None
        if self._files is None:
            found = built(self._manifest, self._root)
            self._files = found if isinstance(found, dict) else {}
            self.state = "compiled (mypyc)" if isinstance(found, dict) else f"plain Python: {found}"
        file = self._files.get(name)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(name, str(file))
        return importlib.machinery.ModuleSpec(name, loader, origin=str(file))


FINDER = _Finder(MANIFEST, ROOT)


def install() -> None:
    """Serve the compiled modules from now on (unless `UKTRACE_PURE` is set)."""
    if os.environ.get(PURE):
        FINDER.state = f"plain Python: {PURE} is set"
    elif FINDER not in sys.meta_path:
        sys.meta_path.insert(0, FINDER)


def state() -> str:
    """How the parser runs in this process: `compiled (mypyc)`, or `plain Python: why`."""
    console = sys.modules.get("uktrace.parsers.console")
    if console is not None and FINDER.state.startswith("compiled"):
        compiled = (console.__file__ or "").endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
        return FINDER.state if compiled else "plain Python: imported before the finder"
    return FINDER.state
