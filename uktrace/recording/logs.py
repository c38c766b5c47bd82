"""Console logs on disk (saved serial output, issue excerpts, recordings) into boot timelines."""

from __future__ import annotations

import sys
from collections import deque
from pathlib import Path

from uktrace.parsers import ConsoleParser, Record

from ..kernel.symbols import locate_crash
from ..model.clock_rate import ClockReference
from ..model.timeline import BootTimeline
from .reader import read_guest
from .record import RecordingError

CHUNK = 1 << 16


class LogError(Exception):
    """A log that cannot be read; the message is meant for the user."""


def trace_log(
    path: Path,
    name: str | None = None,
    kernel: Path | None = None,
    ready: str | None = None,
    reference: ClockReference | None = None,
) -> BootTimeline:
    """Parse a whole console log into a finished timeline (guest clock only); `-` reads standard
    input (`kraft run ... | uktrace parse -`); with the `kernel` image, a crash is located by symbol;
    with `ready` (a checked regex), the `ready` phase ends at the first line after main it finds."""
    stdin = str(path) == "-"
    timeline = BootTimeline(
        name=name or ("stdin" if stdin else path.name), source=str(path), ready=ready, clock_reference=reference
    )
    parser = ConsoleParser()
    critical: deque[Record] = deque(maxlen=64)  # a register dump is all a crash location needs
    chunks = None if stdin else recorded_chunks(path)
    if chunks is not None:
        for since_spawn_ns, chunk in chunks:
            for record in parser.feed(chunk, since_spawn_ns):
                timeline.consume(record)
                if record.level == "CRIT":
                    critical.append(record)
        return _finished(timeline, parser, critical, kernel)
    try:
        with open(sys.stdin.fileno(), "rb", closefd=False) if stdin else path.open("rb") as log:
            while chunk := log.read1(CHUNK) if stdin else log.read(CHUNK):
                for record in parser.feed(chunk):
                    timeline.consume(record)
                    if record.level == "CRIT":
                        critical.append(record)
    except FileNotFoundError:
        raise LogError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LogError(f"{path}: is a directory, not a console log") from None
    except PermissionError:
        raise LogError(f"{path}: permission denied") from None
    except OSError as error:
        raise LogError(f"{path}: cannot read ({error.strerror})") from None
    return _finished(timeline, parser, critical, kernel)


def recorded_chunks(path: Path) -> list[tuple[int, bytes]] | None:
    """A recording's `console.raw` with its `chunks.tsv` beside it: the chunks at the host times
    they arrived (ns since the spawn), so the log has a host clock and its guest clock's rate can
    be measured (`model.clock_rate`); None for any other log."""
    if path.name != "console.raw" or not (path.parent / "chunks.tsv").is_file():
        return None
    try:
        recorded = read_guest(path.parent)
    except RecordingError:
        return None
    return recorded.chunks if recorded.chunks else None


def _finished(
    timeline: BootTimeline, parser: ConsoleParser, critical: deque[Record], kernel: Path | None
) -> BootTimeline:
    for record in parser.flush():
        timeline.consume(record)
    timeline.finish()
    if kernel is not None:
        locate_crash(timeline, critical, kernel)
    return timeline
