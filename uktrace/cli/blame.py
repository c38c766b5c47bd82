"""`uktrace blame DIR|LOG...`: the boot's constructors and init functions across guests, the
slowest first: how many guests ran each, its p50 and p95, and the clock that timed it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.text import Text

from ..analysis.blame import FunctionBlame, blame, covered
from ..analysis.naming import SymbolCache, guest_symbols
from ..analysis.observer_effect import effect_sentence, moved
from ..kernel.symbols import Symbols, SymbolsError
from ..model.shapes import formats
from ..model.timeline import BootTimeline
from ..present.table import SafeTable
from ..present.timeline import UNTIMED, calls_hint
from ..present.tracer import over_goal, tracer_sentence
from ..present.units import format_seconds
from ..recording.logs import LogError, trace_log
from ..recording.reader import tell
from ..recording.record import RecordingError
from ..recording.replay import ReplayFleet
from .output import Output
from .symbols import add_symbol_options, symbols_option

if TYPE_CHECKING:
    from ..model.shapes import commands as shape

PROG = "uktrace blame"


def add_blame_parser(commands: Any) -> None:
    """Register `blame` on the subcommands of `uktrace` (argparse's subparsers object)."""
    parser = commands.add_parser(
        "blame",
        help="every constructor and init function across guests, the slowest first",
        description="Per boot function (and library): how many guests ran it, its p50 and p95 duration "
        "and the clock that timed it, sorted by p95; beside them, kind part, what the console names inside "
        "a phase (the TSC calibration; with run --firmware-timing, the firmware's parts). Recordings are "
        "named from the symbols they keep; logs with --kernel or --symbols.",
    )
    parser.add_argument(
        "sources",
        nargs="+",
        metavar="DIR|LOG",
        help="a recording (uktrace run --record DIR) or a saved console log (- for stdin)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_symbol_options(parser)
    parser.set_defaults(handler=blame_command)


def blame_command(args: argparse.Namespace) -> int:
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    recorded: list[shape.BlameRecording] = []
    try:
        symbols = symbols_option(args)
        guests = [guest for source in args.sources for guest in _timelines(source, symbols, recorded)]
    except (SymbolsError, LogError, RecordingError) as error:
        stderr.print(Text.assemble((f"{PROG}:", "red"), " ", str(error)))
        return 2
    calls = [timeline.calls() for _, timeline in guests]
    rows = blame(calls, (timeline.phases() for _, timeline in guests))
    silent = [(name, timeline) for (name, timeline), made in zip(guests, calls, strict=True) if not made]
    hints = sorted({calls_hint(timeline) for _, timeline in silent})
    if args.json:
        result: shape.BlameOutput = {
            "format": formats.COMMANDS,
            "guests": len(guests),
            "functions": [row.as_dict() for row in rows],
            "without_calls": [name for name, _ in silent],
            "hints": hints,
            "recordings": recorded,
        }
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        stdout = Output()
        report = blame_report(rows, len(guests), [name for name, _ in silent], hints, recorded)
        if not stdout.is_terminal:  # a terminal wraps to its width; a file or pipe gets every name whole
            unbounded = Measurement.get(stdout, stdout.options.update_width(1 << 12), report).maximum
            stdout = Output(width=max(stdout.width, unbounded))
        stdout.print(report)
    return 0


def _timelines(
    source: str, symbols: Symbols | None, recorded: list[shape.BlameRecording]
) -> list[tuple[str, BootTimeline]]:
    """(name, timeline) per guest of a recording (replayed at once) or per log; a recording's own
    word on what uktrace took from its guests and changed of them goes to `recorded`."""
    path = Path(source)
    if source == "-" or not path.is_dir():
        timeline = trace_log(path)
        timeline.symbols = symbols
        return [(timeline.name, timeline)]
    fleet = ReplayFleet(path, speed=0)
    anyio.run(fleet.run)
    tell(fleet.problems, str(path))
    recorded.append({"source": source, "tracer": fleet.tracer_booting, "observer": fleet.observer_effect})
    cache: SymbolCache = {}
    result = []
    for guest in fleet.guests:
        guest.timeline.symbols = guest_symbols(guest, cache) or symbols
        result.append((f"{path.name}/{guest.name}", guest.timeline))
    return result


def blame_report(
    rows: list[FunctionBlame],
    guests: int,
    silent: list[str],
    hints: list[str],
    recorded: Sequence[shape.BlameRecording] = (),
) -> RenderableType:
    """The functions table, then how many guests it covers, what would make the rest print theirs,
    and what each recording says uktrace took from its guests and changed of them."""
    table = SafeTable(expand=False)
    for column in ("function", "library", "table"):
        table.add_column(column)
    for column in ("guests", "p50", "p95"):
        table.add_column(column, justify="right")
    table.add_column("clock")
    for row in rows:
        table.add_row(
            Text(row.function, style="" if row.named else "dim"),
            row.library or "",
            row.phase,
            str(row.guests),
            format_seconds(row.p50),
            format_seconds(row.p95),
            row.clock or UNTIMED,
        )
    footer = Text(covered(rows, guests))
    if any(not row.named for row in rows):
        footer.append("\n(addresses: no symbols named them; give --kernel ELF or --symbols FILE)", style="dim")
    if silent:
        footer.append(f"\n{len(silent)} of {guests} printed no call lines: {', '.join(silent[:5])}")
        if len(silent) > 5:
            footer.append(f" and {len(silent) - 5} more")
        for hint in hints:
            footer.append(f"\n({hint})", style="dim")
    for recording in recorded:
        own = tracer_sentence(recording["tracer"], recorded=True)
        if own is not None:
            footer.append(f"\n{recording['source']}: {own}", style="yellow" if over_goal(recording["tracer"]) else "")
        if (effect := recording["observer"]) is not None:
            sentence = effect_sentence(dict(effect), recorded=True)
            footer.append(f"\n{recording['source']}: {sentence}", style="yellow" if moved(dict(effect)) else "")
    return Group(table, footer) if rows else footer
