"""`uktrace recordings`: the runs kept on disk, newest first; `prune` removes the ones asked for.

A prune on a terminal asks before deleting; without one it needs `--yes`; `--dry-run` only says
what would go. A path that is not a recording is refused before anything is deleted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..model.shapes import formats
from ..model.text import markup
from ..present.table import SafeTable
from ..present.units import format_size
from ..recording.inventory import Listing, Recording, list_recordings, read_recording
from ..recording.prune import NOT_OURS, Choice, choose, delete, parse_age
from ..recording.record import RecordingError, recordings_base
from .output import Output

if TYPE_CHECKING:
    from ..model.shapes import commands as shape

PRUNE_HINT = "uktrace recordings prune --older-than 7d"


def add_recordings_parser(commands: Any) -> None:
    recordings = commands.add_parser(
        "recordings",
        help="list the recorded runs kept on disk; `prune` removes old ones",
        description="Every run records its consoles (in $TMPDIR/uktrace-UID unless --record DIR). "
        "Lists the recordings in DIR, newest first; `uktrace recordings prune --help` removes them.",
    )
    recordings.add_argument("--dir", type=Path, metavar="DIR", help="where to look (default $TMPDIR/uktrace-UID)")
    recordings.add_argument("--json", action="store_true", help="print the list as JSON")
    recordings.set_defaults(handler=_list_command)
    actions = recordings.add_subparsers(dest="action", metavar="ACTION")
    prune = actions.add_parser(
        "prune",
        help="delete recordings chosen by age, count or path",
        description="Delete the recordings chosen: in DIR those older than AGE and/or all but the N newest, "
        "or the PATHs given (each narrowed by --older-than and --keep when given). Only directories "
        "that are uktrace recordings (session.json) or benches (results.json) are ever deleted; one "
        "still being recorded is left alone. Asks on a terminal; without one, needs --yes.",
    )
    prune.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="recordings to delete")
    prune.add_argument(
        "--dir", type=Path, metavar="DIR", default=argparse.SUPPRESS, help="where to look (default $TMPDIR/uktrace-UID)"
    )
    prune.add_argument("--older-than", metavar="AGE", help="only recordings older than AGE (30m, 12h, 7d, 2w)")
    prune.add_argument("--keep", type=int, metavar="N", help="spare the N newest")
    prune.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    prune.add_argument("-y", "--yes", action="store_true", help="delete without asking")
    prune.set_defaults(handler=_prune_command)


def _list_command(args: argparse.Namespace) -> int:
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        listing = list_recordings(args.dir or recordings_base())
    except RecordingError as error:
        stderr.print(f"[red]uktrace recordings:[/] {markup(error)}")
        return 2
    if args.json:
        document: shape.RecordingsOutput = {
            "format": formats.COMMANDS,
            "base": str(listing.base),
            "recordings": [r.as_dict() for r in listing.recordings],
            "others": [str(p) for p in listing.others],
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    stdout = _stdout()
    if listing.recordings:
        stdout.print(recordings_table(listing.recordings))
    stdout.print(_footer(listing))
    return 0


def _prune_command(args: argparse.Namespace) -> int:
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    stdout = _stdout()

    def refuse(message: str) -> int:
        stderr.print(f"[red]uktrace recordings prune:[/] {markup(message)}")
        return 2

    if not args.paths and args.older_than is None and args.keep is None:
        return refuse("say what to prune: --older-than AGE, --keep N or PATHs (`uktrace recordings` lists them)")
    try:
        older_than = parse_age(args.older_than) if args.older_than is not None else None
        candidates, problems = _candidates(args.paths, args.dir or recordings_base())
        chosen = choose(candidates, older_than=older_than, keep=args.keep, now=time.time())
    except RecordingError as error:
        return refuse(str(error))
    if problems:  # every path named must be a recording: nothing goes on a half-right command line
        for problem in problems:
            refuse(problem)
        stderr.print("nothing deleted")
        return 2
    if args.paths and chosen.busy:  # named, yet not deletable: the user should know, not guess
        busy = chosen.busy[0]
        return refuse(f"{busy.path}: still being recorded by uktrace (pid {busy.recorder}); nothing deleted")
    if args.paths and chosen.foreign:  # named, yet not uktrace's to delete
        return refuse(f"{chosen.foreign[0].path}: {NOT_OURS}: delete it yourself if it is to go; nothing deleted")
    for recording in chosen.busy:
        stderr.print(f"left alone, still being recorded: {markup(recording.path)}", style="dim")
    for recording in chosen.foreign:
        stderr.print(f"left alone, {markup(NOT_OURS)}: {markup(recording.path)}", style="dim")
    if not chosen.doomed:
        stdout.print("nothing to prune")
        return 0
    stdout.print(recordings_table(chosen.doomed, title="would be deleted" if args.dry_run else "to delete"))
    summary = f"{_count(chosen.doomed)}, {format_size(sum(r.size for r in chosen.doomed))}"
    if args.dry_run:
        stdout.print(f"dry run: {summary} would be deleted")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            return refuse(f"not a terminal to ask on: add --yes to delete {summary} (or --dry-run)")
        if not _confirm(stdout, f"delete {summary}? [y/N] "):
            stdout.print("nothing deleted")
            return 1
    return _delete(chosen, stdout, stderr)


def _candidates(paths: Sequence[Path], base: Path) -> tuple[list[Recording], list[str]]:
    """The named recordings, else every recording in `base`; and why each named path is not one."""
    if not paths:
        return list_recordings(base).recordings, []
    recordings, problems = [], []
    for path in paths:
        try:
            recordings.append(read_recording(path))
        except RecordingError as error:
            problems.append(str(error))
    return list({r.path.resolve(): r for r in recordings}.values()), problems


def _delete(chosen: Choice, stdout: Console, stderr: Console) -> int:
    deleted: list[Recording] = []
    for recording in chosen.doomed:
        try:
            delete(recording)
        except RecordingError as error:
            stderr.print(f"[red]uktrace recordings prune:[/] {markup(error)}")
            continue
        deleted.append(recording)
        stdout.print(f"deleted {markup(recording.path)}", style="dim")
    stdout.print(f"deleted {_count(deleted)}, freed {format_size(sum(r.size for r in deleted))}")
    return 0 if len(deleted) == len(chosen.doomed) else 1


def _confirm(console: Console, prompt: str) -> bool:
    try:
        answer = console.input(prompt, markup=False)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def recordings_table(recordings: Sequence[Recording], title: str | None = None) -> Table:
    """One row per recording: when, kind, kernel, guests, statuses, size, path."""
    table = SafeTable(title=title, title_justify="left")
    for column in ("when", "kind", "kernel", "guests", "statuses", "size", "path"):
        table.add_column(column, justify="right" if column in ("guests", "size") else "left")
    for r in recordings:
        statuses = ", ".join(f"{n} {status}" for status, n in sorted(r.statuses.items(), key=lambda i: -i[1]))
        table.add_row(
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started)),
            r.kind,
            r.kernel,
            str(r.guests),
            Text(statuses, style="yellow" if r.in_progress else ""),
            format_size(r.size),
            Text(str(r.path), overflow="fold"),
        )
    return table


def _footer(listing: Listing) -> Text:
    footer = Text()
    if listing.recordings:
        size = format_size(sum(r.size for r in listing.recordings))
        footer.append(f"{_count(listing.recordings)}, {size} in {listing.base}\n")
        footer.append(f"remove old ones: {PRUNE_HINT} (or --keep N, or PATHs; --dry-run shows what would go)")
    else:
        footer.append(f"no recordings in {listing.base}")
    if listing.others:
        footer.append(f"\n{len(listing.others)} other entries there are not recordings: never listed nor pruned")
    return footer


def _count(recordings: Sequence[Recording]) -> str:
    return "1 recording" if len(recordings) == 1 else f"{len(recordings)} recordings"


def _stdout() -> Console:
    stdout = Output()
    return stdout if stdout.is_terminal else Output(width=200)
