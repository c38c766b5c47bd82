"""The `uktrace` command line: subcommands, argument checking, exit statuses.

Exit statuses: 0 success, 1 a guest failed (run), 2 a usage error or an unreadable input,
130 interrupted. A user mistake is one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from . import __version__
from .export import timeline_dict
from .logs import LogError, trace_log
from .report import timeline_table


def _parse_command(args: argparse.Namespace) -> int:
    stdout = Console(highlight=False)
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    guests = []
    status = 0
    for path in args.logs:
        try:
            timeline = trace_log(Path(path))
        except LogError as error:
            stderr.print(f"[red]uktrace parse:[/] {error}")
            status = 2
            continue
        if args.json:
            guests.append(timeline_dict(timeline))
        else:
            stdout.print(timeline_table(timeline))
            stdout.print()
    if args.json:
        json.dump({"guests": guests}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="uktrace", description="Live boot tracer for Unikraft unikernels.")
    parser.add_argument("--version", action="version", version=f"uktrace {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parse = commands.add_parser("parse", help="boot timeline of saved console logs")
    parse.add_argument("logs", nargs="+", metavar="LOG", help="serial console output saved to a file")
    parse.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parse.set_defaults(handler=_parse_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader (`| head`) went away: not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
