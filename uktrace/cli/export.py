"""`uktrace export DIR|LOG... --format F`: a recording, a bench or console logs written for another
tool (Perfetto, a spreadsheet, asciinema, a browser); to stdout, or to `-o FILE`, which must not
exist yet unless `--force`."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

PROG = "uktrace export"
FORMATS = ("perfetto", "csv", "json", "asciicast", "svg")
CLOCKED = ("perfetto", "svg")
"""The formats that place phases on one clock (`--clock`)."""


def add_export_parser(commands: Any) -> None:
    """Register `export` on the subcommands of `uktrace` (argparse's subparsers object)."""
    parser = commands.add_parser(
        "export",
        help="write a recording, a bench or console logs as Perfetto, CSV, JSON, asciicast or SVG",
        description="Export runs for other tools: perfetto (open in ui.perfetto.dev), csv (one row per guest "
        "and phase, both clocks), json (the run --json object), asciicast (one guest's console, for asciinema), "
        "svg (a Gantt chart of the run).",
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="DIR|LOG",
        help="a recording (uktrace run --record DIR), a bench directory (results.json), a saved console log, "
        "or a JSON file from run --json / parse --json",
    )
    parser.add_argument("--format", "-f", required=True, choices=FORMATS, help="what to write")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    parser.add_argument("--guest", metavar="NAME", help="only this guest (asciicast: default the first)")
    parser.add_argument(
        "--clock",
        choices=("host", "guest"),
        help="perfetto and svg: place phases on the host clock (default, where known) or the guest's printk stamps",
    )
    parser.set_defaults(handler=export_command)


def export_command(args: argparse.Namespace) -> int:
    from ..export.runs import ExportError

    stderr = Console(stderr=True, highlight=False, soft_wrap=True)

    def usage_error(message: str) -> int:
        stderr.print(Text.assemble((f"{PROG}:", "red"), " ", message))
        return 2

    if args.clock is not None and args.format not in CLOCKED:
        return usage_error(f"--clock applies to {' and '.join(CLOCKED)}, not {args.format}")
    output: Path | None = args.output
    if output is not None and str(output) != "-":
        if output.exists() and not args.force:
            return usage_error(f"{output} exists: choose another file or add --force to overwrite it")
        if output.is_dir():
            return usage_error(f"{output} is a directory: -o takes a file name")
        if not output.parent.is_dir():
            return usage_error(f"{output.parent}: no such directory")
    try:
        text = render(args)
    except ExportError as error:
        return usage_error(str(error))
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    try:
        write_file(output, text, args.force)
    except FileExistsError:
        return usage_error(f"{output} exists: choose another file or add --force to overwrite it")
    except OSError as error:
        return usage_error(f"{output}: cannot write ({error.strerror})")
    stderr.print(Text(f"{PROG}: wrote {output}"), style="dim")
    return 0


def render(args: argparse.Namespace) -> str:
    """The export's text; raises ExportError for inputs or requests it cannot serve."""
    from ..export import asciicast, perfetto, table
    from ..export.runs import load_runs, one_run, select_guest

    runs = load_runs(args.inputs)
    if args.guest is not None:
        runs = select_guest(runs, args.guest)
    if args.format == "perfetto":
        return json.dumps(perfetto.trace(runs, args.clock), separators=(",", ":")) + "\n"
    if args.format == "csv":
        return table.render(runs)
    if args.format == "json":
        return json.dumps(one_run(runs, "json").document, indent=2) + "\n"
    if args.format == "asciicast":
        return asciicast.render(one_run(runs, "an asciicast"), args.guest)
    from ..export import gantt  # matplotlib: only when drawing

    return gantt.render(one_run(runs, "an svg"), args.clock)


def write_file(path: Path, text: str, force: bool = False) -> None:
    """Whole or not at all: the text goes to a new file beside `path`, which then takes its place
    (with `force`: renamed over it; without: linked as a new name, which fails if one appeared
    meanwhile). A failed write (a full disk) leaves `path` as it was; a link at `path` is
    replaced, never written through. A device or FIFO named (`-o /dev/null`) is written into."""
    try:
        mode = os.stat(path, follow_symlinks=False).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not force:
        raise FileExistsError(errno.EEXIST, "exists", str(path))
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        with path.open("w", encoding="utf-8") as device:
            device.write(text)
        return
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # as a plain open would have made it, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if force:
            os.replace(temporary, path)
        else:
            _place_new(Path(temporary), path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _place_new(temporary: Path, path: Path) -> None:
    """`temporary` as the new file `path`: a hard link fails if `path` appeared meanwhile; where
    links are not supported, an exclusive create claims the name first."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
        os.replace(temporary, path)
    else:
        os.unlink(temporary)
