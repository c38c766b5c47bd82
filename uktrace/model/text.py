"""Text from outside uktrace made safe to show: one function for the terminal, one for Rich.

Recordings, symbol tables, ELF images and JSON files travel between people, so any string in them
(a guest's name, a node, a status, a symbol) may hold terminal control sequences (`ESC]52;c;...`
writes the clipboard, `ESC[2J` clears the screen) or Rich markup (`[/red]` ends a style that was
never opened: `MarkupError`). `shown` escapes every control character as Python does in a repr
(`\\x1b`), so it is seen, never interpreted; `markup` also escapes Rich's square brackets, for text
that goes into a markup string. Console text has its own cleaning in the parsers.
"""

from __future__ import annotations

import re

from rich.markup import escape

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""C0, DEL, C1, line and paragraph separators, and the bidirectional overrides (text that reads
differently from what it is)."""


def _escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(value: object) -> str:
    """`value` as text a terminal shows as it is: every control character escaped (`\\x1b`)."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(_escaped, text)


def markup(value: object) -> str:
    """`value` as text to put inside Rich markup: `shown`, with markup escaped (`\\[bold]`)."""
    return escape(shown(value))


def shown_json(value: object) -> object:
    """Every string in a JSON value (keys too) `shown`: a document read from outside, safe to show."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, list):
        return [shown_json(item) for item in value]
    if isinstance(value, dict):
        return {shown(key): shown_json(item) for key, item in value.items()}
    return value
