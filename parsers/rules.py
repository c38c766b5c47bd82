"""One regex for a table of rules: which row's pattern matches at the start of a line.

Each row's pattern is followed by an empty named group (`(?:pattern)(?P<r7>)`) rather than
wrapped in one: a branch that starts with the pattern's own literal is skipped by the regex
engine at the first character, while a branch that starts with a group is entered and tried.
A line no row matches, most of a console, costs 2-3x less so (0.23 µs against 0.61 wrapped).
Patterns must not capture: the empty group is the last one a match closes.
"""

from __future__ import annotations

import importlib
import re
from typing import Any


def table(patterns: list[str]) -> re.Pattern[str]:
    """The rows' patterns as one regex; `row(match)` of a match is the matching row's index."""
    return re.compile("|".join(f"(?:{pattern})(?P<r{index}>)" for index, pattern in enumerate(patterns)))


def row(match: re.Match[str]) -> int:
    """The index of the row a `table` regex matched (callers test for no match themselves: most
    lines match no row, and a call less per line counts)."""
    name = match.lastgroup
    assert name is not None, "every branch of a table ends with its row's group"
    return int(name[1:])


def starts(patterns: list[str]) -> frozenset[str] | None:
    """Every character a line that one of `patterns` matches at its start can begin with, or None
    when that is not known (a class like `\\w`, a pattern that can match nothing). A line beginning
    with another one matches no row: checking its first character is a tenth of the cost of the
    table's regex failing (each row's branch is tried). Read from the regex parser's tree
    (`re._parser`); anything unexpected there gives None, and the table alone decides."""
    try:
        parser = importlib.import_module("re._parser")  # Python 3.11+; before it, no prefilter
        sre = importlib.import_module("re._constants")
        found: set[str] = set()
        for pattern in patterns:
            tree = parser.parse(pattern)
            first = None if tree.state.flags & re.IGNORECASE else _first(tree.data, sre)
            if first is None:
                return None
            found |= first
        return frozenset(found)
    except Exception:  # another Python's parser tree: no prefilter
        return None


def _first(items: list[tuple[Any, Any]], sre: Any) -> set[str] | None:
    """The characters a match of `items` can begin with; None if unknown or when it can be empty."""
    found: set[str] = set()
    for op, argument in items:
        if op is sre.LITERAL:
            return found | {chr(argument)}
        if op is sre.IN:
            chars = _chars(argument, sre)
            return None if chars is None else found | chars
        if op is sre.BRANCH:
            branches = [_first(branch.data, sre) for branch in argument[1]]
            if any(branch is None for branch in branches):
                return None
            return found.union(*(branch for branch in branches if branch is not None))
        if op is sre.SUBPATTERN:
            inner = argument[3].data
            first = _first(inner, sre)
            if first is None or argument[1] or argument[2]:  # empty-able, or flags (IGNORECASE)
                return None
            return found | first
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _, inner = argument
            first = _first(inner.data, sre)
            if first is None:
                return None
            found |= first
            if low > 0:
                return found
            continue  # it may repeat no time: what follows can come first
        return None
    return None  # the whole can match the empty string


def _chars(members: list[tuple[Any, Any]], sre: Any) -> set[str] | None:
    chars: set[str] = set()
    for op, argument in members:
        if op is sre.LITERAL:
            chars.add(chr(argument))
        elif op is sre.RANGE and isinstance(argument, tuple) and argument[1] - argument[0] < 256:
            chars.update(map(chr, range(argument[0], argument[1] + 1)))
        elif op is sre.CATEGORY and argument is sre.CATEGORY_SPACE:
            chars.update(char for char in map(chr, range(0x3001)) if char.isspace())  # `\s`: U+3000 the last
        else:
            return None  # a negation, a wide range, another category
    return chars
