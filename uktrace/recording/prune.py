"""Choosing which recordings go, and deleting them: `uktrace recordings prune`.

Only explicit selectors choose (an age, a number of newest to keep, named paths): nothing is
pruned by default. A recording still being written is never chosen, nor one uktrace did not mark
as its own (`Recording.ours`: a directory holding a copied session.json is not one), and each is
read again right before it is deleted, so what goes is a uktrace recording at that moment.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from .inventory import Recording, read_recording
from .record import MARKER, RecordingError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
AGE = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


NOT_OURS = f"not marked as uktrace's ({MARKER}: made by an older uktrace, or not by uktrace)"


class PruneError(RecordingError):
    """A selector or a deletion a prune cannot do; the message is for the user."""


def parse_age(text: str) -> float:
    """`30m`, `12h`, `7d`, `2w` as seconds."""
    match = AGE.fullmatch(text.strip().lower())
    if match is None:
        raise PruneError(f"--older-than {text}: not an age (examples: 30m, 12h, 7d, 2w)")
    return float(match[1]) * UNITS[match[2]]


@dataclass(frozen=True, slots=True)
class Choice:
    doomed: list[Recording]
    """What goes, newest first."""
    busy: list[Recording]
    """Selected but still being recorded: left alone."""
    foreign: list[Recording] = dataclasses.field(default_factory=list)
    """Selected but not marked as uktrace's (`Recording.ours`): left alone."""


def choose(candidates: Sequence[Recording], *, older_than: float | None, keep: int | None, now: float) -> Choice:
    """Of `candidates`, those older than `older_than` seconds and not among the `keep` newest:
    each selector given narrows the choice (`--keep 5 --older-than 7d` keeps the 5 newest and
    anything from the last week)."""
    if keep is not None and keep < 0:
        raise PruneError("--keep must be 0 or more")
    newest_first = sorted(candidates, key=lambda r: r.started, reverse=True)
    chosen = newest_first[keep:] if keep is not None else newest_first
    if older_than is not None:
        chosen = [r for r in chosen if r.started < now - older_than]
    return Choice(
        [r for r in chosen if r.ours and not r.in_progress],
        [r for r in chosen if r.ours and r.in_progress],
        [r for r in chosen if not r.ours],
    )


def busy(recording: Recording, closed: Collection[Path] = ()) -> bool:
    """Whether a uktrace still records (or shows) it. `closed`: recordings this very process
    recorded and has finished with (the home screen's runs, once it is back home): its pid
    lives on, but nothing writes there any more."""
    return recording.in_progress and not (recording.recorder == os.getpid() and recording.path in closed)


def delete(recording: Recording, closed: Collection[Path] = ()) -> None:
    """Delete one recording, after reading its marker again (links inside are removed, never
    followed); `closed` as for `busy`."""
    again = read_recording(recording.path)
    if not again.ours:
        raise PruneError(f"{recording.path}: {NOT_OURS}; left alone")
    if busy(again, closed):
        raise PruneError(f"{recording.path}: still being recorded by uktrace (pid {again.recorder}); left alone")
    try:
        shutil.rmtree(recording.path)
    except OSError as error:
        raise PruneError(f"{recording.path}: not deleted ({error.strerror or error})") from None
