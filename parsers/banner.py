"""Unikraft banners and version strings: which release booted.

Banners by release (lib/ukboot/banner.c):
* 0.2-0.4 classic: `Welcome to  _ __             _____` + 3 art lines + `%35s` "Codename x.y".
* 0.5+ "Powered by": `Powered by` + 5 art lines (ASCII, CP437 or UTF-8 variants) + `%39s` version.
* 0.5+ minimal: `Powered by Unikraft Codename (x.y.z~sha)`, the default of kraft catalog images.
Version strings elsewhere: the 0.12+ bootinfo printk `Unikraft Codename (x.y.z)` and the crash
screens `Unikraft crash - Codename (...)` (0.15/0.16 cloud branch) and `Unikraft Crash - ...` (0.20+).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = r"(?P<version>\d+\.\d+(?:\.\d+)?)(?:~(?P<sha>[0-9A-Za-z]+))?(?P<custom>-custom)?"
_CODENAME = r"(?P<codename>[A-Z][A-Za-z]+)"

ART_VERSION_LINE = re.compile(rf"\s*{_CODENAME} {_VERSION}\s*$")
"""The right-aligned version line that ends an ASCII-art banner."""
ONE_LINE_BANNER = re.compile(rf"Powered by Unikraft {_CODENAME} \({_VERSION}\)\s*$")
BOOTINFO_VERSION = re.compile(rf"Unikraft {_CODENAME} \({_VERSION}\)\s*$")
CRASH_SCREEN = re.compile(rf"Unikraft [Cc]rash - {_CODENAME} \({_VERSION}\)")

POWERED_BY = "Powered by"
WELCOME_TO = "Welcome to  _ __"
ART_LINES = {POWERED_BY: 6, WELCOME_TO: 4}
"""Banner starts and how many lines may follow before the version line (art lines + version)."""


@dataclass(frozen=True, slots=True)
class UnikraftVersion:
    """A Unikraft release as its banner or boot info names it."""

    version: str
    """`x.y.z` (or `x.y` for 0.2-0.3)."""
    codename: str
    """The release's Saturn moon, e.g. `Tethys`."""
    sha: str | None = None
    """Short git sha of the Unikraft tree, `-custom` appended when that tree was dirty."""

    def as_dict(self) -> dict[str, str | None]:
        return {"version": self.version, "codename": self.codename, "sha": self.sha}

    @property
    def release(self) -> str:
        """`0.17.0 (Calypso)`, or `0.17.0` when the codename is unknown (an image's `.uk_libinfo`
        may carry the version alone)."""
        return f"{self.version} ({self.codename})" if self.codename else self.version


def _version(match: re.Match[str]) -> UnikraftVersion:
    sha = match["sha"]
    if match["custom"]:
        sha = f"{sha or ''}-custom"
    return UnikraftVersion(version=match["version"], codename=match["codename"], sha=sha)


def banner_start(text: str) -> int:
    """How many lines may follow `text` as its banner art, or 0 if `text` starts no art banner."""
    return ART_LINES.get(text.rstrip(), 0) or (ART_LINES[WELCOME_TO] if text.startswith(WELCOME_TO) else 0)


def art_version(text: str) -> UnikraftVersion | None:
    """The version named by an art banner's last line."""
    match = ART_VERSION_LINE.match(text)
    return _version(match) if match else None


def one_line_banner(text: str) -> UnikraftVersion | None:
    """The version named by the one-line (minimal) banner."""
    match = ONE_LINE_BANNER.match(text)
    return _version(match) if match else None


def message_version(message: str) -> UnikraftVersion | None:
    """The version in a printk message: 0.12+ boot info or a crash screen headline."""
    match = BOOTINFO_VERSION.match(message) or CRASH_SCREEN.search(message)
    return _version(match) if match else None
