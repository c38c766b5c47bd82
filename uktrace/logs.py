"""Console logs on disk (saved serial output, issue excerpts, recordings) into boot timelines."""

from __future__ import annotations

from pathlib import Path

from parsers import ConsoleParser

from .timeline import BootTimeline

CHUNK = 1 << 16


class LogError(Exception):
    """A log that cannot be read; the message is meant for the user."""


def trace_log(path: Path, name: str | None = None) -> BootTimeline:
    """Parse a whole console log into a finished timeline (guest clock only)."""
    timeline = BootTimeline(name=name or path.name, source=str(path))
    parser = ConsoleParser()
    try:
        with path.open("rb") as log:
            while chunk := log.read(CHUNK):
                for record in parser.feed(chunk):
                    timeline.consume(record)
    except FileNotFoundError:
        raise LogError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LogError(f"{path}: is a directory, not a console log") from None
    except PermissionError:
        raise LogError(f"{path}: permission denied") from None
    except OSError as error:
        raise LogError(f"{path}: cannot read ({error.strerror})") from None
    for record in parser.flush():
        timeline.consume(record)
    timeline.finish()
    return timeline
