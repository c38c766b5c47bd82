"""Where `ctrl+s` puts its SVG: with the run it shows, not in whatever directory uktrace started in.

A live run's go to `<recording>/screenshots/` (the run's recording directory, which `uktrace
recordings` lists and prunes with the run); a replay's, and any that cannot be written there, to
the per-user `$XDG_DATA_HOME/uktrace/screenshots` (`~/.local/share/uktrace/screenshots`): replaying
a recording (someone else's, one in a repository) reads it and never writes into it.
"""

from __future__ import annotations

import os
from pathlib import Path

from uktrace.model.guest import FleetView
from uktrace.recording.replay import ReplayFleet


def user_screenshot_dir() -> Path:
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "uktrace" / "screenshots"


def screenshot_dirs(fleet: FleetView, chosen: Path | None = None) -> list[Path]:
    """Where to try, in order: `chosen` alone when given (tests, the README's screenshots script)."""
    if chosen is not None:
        return [chosen]
    if isinstance(fleet, ReplayFleet):
        return [user_screenshot_dir()]
    return [fleet.record_dir / "screenshots", user_screenshot_dir()]


def save_svg(svg: str, name: str, directories: list[Path]) -> tuple[Path | None, list[str]]:
    """Write `svg` as `name` into the first directory that takes it: its absolute path (None when
    none did) and why each directory before it did not."""
    problems = []
    for directory in directories:
        path = (directory / name).absolute()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(svg, encoding="utf-8")
        except OSError as error:
            problems.append(f"{directory}: {error.strerror or error}")
            continue
        return path, problems
    return None, problems
