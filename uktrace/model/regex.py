"""Regular expressions that come from a user (`--ready`, `--expect`) or a recording, compiled
with RE2: matching takes time linear in the text, whatever the pattern (`^(a|a)+$` against a line
of `a`s takes Python's `re` twice as long per character; RE2 a few microseconds). RE2 has no
backreferences or lookaround: a pattern using them is refused with a message saying so.
"""

from __future__ import annotations

import re
from typing import Any

import re2


class RegexError(ValueError):
    """A pattern RE2 cannot compile; the message is one line for the user."""


def compile_regex(pattern: str, what: str = "regex", dot_all: bool = False) -> Any:
    """`pattern` compiled with RE2 (`dot_all`: `.` matches a newline too, as pexpect's patterns);
    the object has `search`, `match`, `fullmatch`, `pattern`, like `re.Pattern`."""
    if not isinstance(pattern, str):
        raise RegexError(f"{what}: not a string")
    options = re2.Options()
    options.log_errors = False  # the error is raised, with its text: nothing written to stderr
    options.dot_nl = dot_all
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        problem = _python_error(pattern)
        if problem is not None:
            raise RegexError(f"{what} {pattern!r}: not a regular expression ({problem})") from None
        reason = error.args[0].decode("utf-8", "replace") if error.args and isinstance(error.args[0], bytes) else error
        raise RegexError(
            f"{what} {pattern!r}: not supported ({reason}): backreferences and lookaround cannot match in linear time"
        ) from None


def _python_error(pattern: str) -> str | None:
    """Python's own complaint about `pattern` (the clearer one), None when `re` compiles it."""
    try:
        re.compile(pattern)
    except re.error as error:
        return str(error)
    return None
