"""The `uk_printk` line prefix, for every Unikraft release from 0.2 to today.

    [TIMESTAMP] LVL: <THREAD> {r:RA,f:FA} [LIBNAME] <SRC @ LINE> message      (0.5+)
    [TIMESTAMP] LVL: [LIBNAME] SRC @ LINE   : message                        (0.2-0.4)
    [TIMESTAMP] [LIBNAME] <SRC @ LINE> message                                (0.21 level without header)

Every element after the level is optional (Kconfig options, release, kraft catalog builds);
whitespace is matched loosely because logs copied through Markdown lose their padding.
"""

from __future__ import annotations

import re
from typing import NamedTuple


def _prefix(blank: str, outside: str, thread: str) -> str:
    """The prefix up to the message. `blank`: a space inside one line; `outside`: what a negated
    class leaves out besides its own characters (nothing for a line alone, the line's end in a
    block); `thread`: how the thread's group wraps its `<...>`."""
    return (
        rf"\[{blank}*+(?P<ts>\d++\.\d++)\]{blank}*+"
        # the level (0.21 lib/ukprint's KLVL_NONE prints none: then None); written `(?:...|)` with
        # possessive repeats, as every optional part below: the engine keeps no state to backtrack into
        rf"(?:(?P<level>dbg|Info|Warn|ERR|CRIT):{blank}*+|)"
        # thread (0.12+) `<name>` / `<<n/a>>`, or the bottom of stack `<0x..>` (0.2-0.9); never `<x @ n>`
        + thread.format(rf"(?:<[^<>{outside}]*+>|[^<>@{outside}]*+)")
        + rf"{blank}++|)"
        # caller info (0.10+): return address and frame address
        rf"(?:\{{r:(?P<ra>0x[0-9a-fA-F]++|\(nil\)),{blank}*+f:(?P<fa>0x[0-9a-fA-F]++|\(nil\))\}}{blank}*+|)"
        rf"(?:\[(?P<lib>[^\]\s]++)\]{blank}*+|)"
        # `<file.c @  101> ` (0.5+) or `file.c @ 92   : ` (0.2-0.4)
        rf"(?:<(?P<src>[^<>\s]++) @{blank}*+(?P<srcline>\d++)>{blank}?"
        rf"|(?P<osrc>[\w.\-]++) @ (?P<osrcline>\d++){blank}*+: ?|)"
    )


PRINTK = re.compile(_prefix(r"\s", "", "(?:<(?P<thread>{0})>") + r"(?P<msg>.*)", re.DOTALL)
"""Possessive repeats (`*+`) and optional parts as an empty alternative (`(?:...|)`), not `?`:
the same matches (no repeat is followed by what it could give back, and the message takes any
rest), a quarter of the regex engine's work per line (no backtracking into a failed thread or
source part, no repeat frame per optional part)."""

PRINTK_LINES = re.compile(
    r"(?:(" + _prefix(r"[^\S\n]", r"\n", "(?:(?P<thread><{0}>)") + r"(?P<msg>[^\n]*+))|([^\n]*+))\n"
)
"""`PRINTK` for a block of whole lines at once, with `findall`: one call and one tuple of strings
per line, not a split, a match object and its `groups()` per line (a third of the parser's work).
Each tuple: the printk line (empty when the line has no prefix), `PRINTK`'s groups (a group that
did not take part is empty, so the thread keeps its angle brackets: `<>` is an empty name), then
the line when it has no prefix. Its blanks are one line's and its negated classes stop at a
line's end: on a line, it matches what `PRINTK` matches."""

PRINTK_ANYWHERE = re.compile(
    rb"(?:\x1b\[[0-9;]*m)*\[\s*\d+\.\d{6}\] ?(?:\x1b\[[0-9;]*m)*\s*(?:dbg|Info|Warn|ERR|CRIT):"
)
"""Where a printk prefix starts inside a line: used to split `Booting from ROM..[    0.0] ...`."""


class Printk(NamedTuple):
    """The fields of one printk prefix."""

    timestamp: float
    level: str | None
    """None for 0.21's level without header (`UK_PRINT_KLVL_NONE`)."""
    thread: str | None
    caller: tuple[int, int] | None
    library: str | None
    source: str | None
    source_line: int | None
    message: str


def _address(text: str) -> int:
    return 0 if text == "(nil)" else int(text, 16)


def caller_of(ra: str, fa: str) -> tuple[int, int]:
    """The `{r:RA,f:FA}` caller info as numbers (`(nil)` is 0)."""
    return _address(ra), _address(fa)


def printk_fields(match: re.Match[str]) -> Printk:
    """The fields of a `PRINTK` match (the console parser's hot path calls this per line)."""
    ts, level, thread, ra, fa, lib, src, srcline, osrc, osrcline, msg = match.groups()
    if src is None and osrc is not None:
        src, srcline = osrc, osrcline
    return Printk(
        float(ts),
        level,
        thread,
        None if ra is None else caller_of(ra, fa),
        lib,
        src,
        None if srcline is None else int(srcline),
        msg,
    )


def parse_printk(text: str) -> Printk | None:
    """Split a printk line into its fields, or None when `text` has no printk prefix."""
    match = PRINTK.match(text)
    return None if match is None else printk_fields(match)
