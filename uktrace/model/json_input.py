"""JSON from outside uktrace (a recording's files, `run --json`, a bench's results.json) parsed
so that no document can crash or stall the reader: nesting deeper than `MAX_DEPTH` is refused
before parsing (Python's parser recurses: 1,000 levels is a `RecursionError`), `NaN` and
`Infinity` are refused (they are not JSON, and break arithmetic), and so are numbers that overflow
a float or integers longer than `MAX_DIGITS` digits.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted (uktrace writes 5 at most)."""
MAX_DIGITS = 40
"""Longest integer accepted (a nanosecond count has 19 digits)."""

GuestJson = Mapping[str, Any]
"""One guest of a document read back (`run --json`, `parse --json`, a bench's results.json, a
recording replayed), as parsed: readers take each field with a check or a default, so that older
or partial documents still read (the typed shapes of what uktrace writes: `model.shapes`)."""


class JsonError(ValueError):
    """A document refused; the message is one line for the user (what, not where)."""


def _constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonError(f"{text[:20]} overflows a number")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise JsonError(f"an integer of {len(text)} digits")
    return int(text)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def depth(text: str) -> int:
    """The deepest nesting of `[` and `{` in `text`, outside strings."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(1 if bracket in "[{" else -1 for bracket in brackets), default=0)


def load_json(data: bytes | str) -> Any:
    """The JSON value of `data`, or JsonError saying why it is refused."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as error:
        raise JsonError(f"not UTF-8 ({error.reason} at byte {error.start})") from None
    if depth(text) > MAX_DEPTH:
        raise JsonError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except JsonError:
        raise
    except (ValueError, RecursionError) as error:
        raise JsonError(f"not valid JSON ({error})") from None
