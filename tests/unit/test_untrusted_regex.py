"""Regexes from a recording or from `--ready`/`--expect` cannot hang uktrace: RE2 matches in
linear time; a pattern it cannot run is one clear line (issue 21)."""

from __future__ import annotations

import pytest

from uktrace.launch.options import LaunchError, check_regex
from uktrace.model.regex import RegexError, compile_regex
from uktrace.model.script import ScriptError, parse_script
from uktrace.model.timeline import BootTimeline
from uktrace.parsers import ConsoleParser

EXPONENTIAL = "^(a|a)+$"
"""Python's `re` doubles its work per character of `a`s that ends without a match: 28 took 22 s."""


def test_a_backtracking_ready_pattern_ends_at_once() -> None:
    timeline = BootTimeline("g", ready=EXPONENTIAL)
    parser = ConsoleParser()
    text = b"[    0.000000] Info: [libukboot] <boot.c @  291> Calling main(1, ['g'])\n" + b"a" * 40 + b"b\n"
    for record in [*parser.feed(text, 0), *parser.flush()]:
        timeline.consume(record)  # with `re`: days (22 s at 28 characters, doubling with each)
    assert timeline.ready_line is None
    assert compile_regex(EXPONENTIAL).search("a" * 28) is not None


def test_an_invalid_pattern_is_one_line() -> None:
    with pytest.raises(LaunchError, match=r"^--ready '\(': not a regular expression \(missing \), unterminated"):
        check_regex("--ready", "(")
    with pytest.raises(ScriptError, match=r"expect '\(a\)\\\\1': not supported"):
        parse_script("expect (a)\\1\n", "conv")
    with pytest.raises(RegexError, match="lookaround"):
        compile_regex("a(?=b)")
