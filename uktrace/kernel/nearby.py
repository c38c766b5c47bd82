"""Kernels where the user stands: what the home screen offers to boot without typing a path.

Looked for, cheaply and never recursively beyond one level: kraft project directories (the
directory itself and its subdirectories, `find.KRAFT_BUILD_GLOBS`), files here or in `build/`
that carry a multiboot header, and the built-in test guest. Each is checked as `uktrace run`
would check it, so what is offered boots.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .find import KRAFT_BUILD_GLOBS, TEST_GUEST, KernelError, check_bootable, find_kernel
from .identity import unikraft_release

MAX_FILES = 200
"""Entries looked at per directory: a home directory of thousands of files stays fast."""
ELF_EXECUTABLE = 2
"""`e_type` ET_EXEC: what QEMU's `-kernel` loads."""
MAX_IMAGE = 256 * 1024 * 1024
"""Larger files are not unikernel images (and would be slow to read for a release)."""


@dataclass(frozen=True, slots=True)
class NearbyKernel:
    """One kernel the launch form can boot."""

    argument: str | None
    """What `uktrace run` takes for it: a project directory, a file, or None for the test guest."""
    path: Path
    """The image that boots."""
    kind: str
    """`kraft project`, `image` or `test guest`."""
    unikraft: str | None
    """The release the image names itself (`0.17.0 (Calypso)`), when it does."""

    @property
    def label(self) -> str:
        return "built-in test guest" if self.argument is None else self.argument


def nearby_kernels(where: Path) -> list[NearbyKernel]:
    """Kraft projects first (here, then one level down), then images, then the test guest."""
    found: list[NearbyKernel] = []
    seen: set[Path] = set()

    def add(argument: str | None, path: Path, kind: str) -> None:
        real = path.resolve()
        if real not in seen:
            seen.add(real)
            kind = "test guest" if real == TEST_GUEST.resolve() else kind
            found.append(NearbyKernel(argument, path, kind, _release(path)))

    for directory in [where, *_subdirectories(where)]:
        if any(any(directory.glob(pattern)) for pattern in KRAFT_BUILD_GLOBS):
            try:
                add(_relative(directory, where), find_kernel(str(directory)), "kraft project")
            except (KernelError, OSError):
                continue  # a project not built for QEMU x86_64: nothing to boot there
    for directory in (where, where / "build"):
        for path in _files(directory):
            if _is_multiboot(path):
                add(_relative(path, where), path, "image")
    if TEST_GUEST.is_file():
        add(None, TEST_GUEST, "test guest")
    return found


def _relative(path: Path, where: Path) -> str:
    try:
        text = str(path.relative_to(where))
    except ValueError:
        return str(path)
    return "." if text == "." else f"./{text}" if not text.startswith(".") else text


def _subdirectories(where: Path) -> list[Path]:
    try:
        entries = sorted(where.iterdir())[:MAX_FILES]
    except OSError:
        return []
    return [p for p in entries if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")]


def _files(directory: Path) -> list[Path]:
    try:
        entries = sorted(directory.iterdir())[:MAX_FILES]
    except OSError:
        return []
    return [p for p in entries if p.is_file() and not p.is_symlink() and p.suffix != ".dbg"]


def _is_multiboot(path: Path) -> bool:
    """A readable image with a multiboot header (what `check_bootable` accepts first)."""
    try:
        if not 0 < path.stat().st_size <= MAX_IMAGE:
            return False
        with path.open("rb") as file:
            head = file.read(8192)
    except OSError:
        return False
    if head[:4] == b"\x7fELF" and int.from_bytes(head[16:18], "little") != ELF_EXECUTABLE:
        return False  # an object file or a shared library carries the header too, and does not boot
    if b"\x02\xb0\xad\x1b" not in head and b"\xd6\x50\x52\xe8" not in head:  # multiboot 1 / 2 magic
        return False
    try:
        check_bootable(path)
    except KernelError:
        return False
    return True


def _release(path: Path) -> str | None:
    try:
        release = unikraft_release(path)
    except (OSError, ValueError):
        return None
    return release.release if release else None
