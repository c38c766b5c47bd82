"""The rule tables as one regex each (`parsers.rules`): the row found is the first row whose own
pattern matches, for every line of the real logs and every row's own example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from uktrace.parsers import ConsoleParser
from uktrace.parsers.noise import NOISE_RULES, classify_noise
from uktrace.parsers.outcomes import OUTCOME_RULES, outcome_of
from uktrace.parsers.phases import NINEP_RULES, PHASE_RULES, marker_of
from uktrace.parsers.rules import row, starts, table

LOGS = Path(__file__).parent.parent / "data" / "logs"
TABLES = {
    "phases": [rule.pattern for rule in PHASE_RULES] + [pattern for _, pattern in NINEP_RULES],
    "noise": [pattern for _, pattern in NOISE_RULES],
    "outcomes": [rule.pattern for rule in OUTCOME_RULES],
}


def _first(patterns: list[str], text: str) -> int | None:
    return next((index for index, pattern in enumerate(patterns) if re.match(pattern, text)), None)


def _texts() -> list[str]:
    texts = set()
    for path in sorted(LOGS.glob("*.log")):
        parser = ConsoleParser()
        for record in [*parser.feed(path.read_bytes()), *parser.flush()]:
            texts.update((record.text, record.message))
    return sorted(texts)


@pytest.mark.parametrize("name", TABLES)
def test_no_row_captures(name: str) -> None:
    assert [re.compile(pattern).groups for pattern in TABLES[name]] == [0] * len(TABLES[name])


@pytest.mark.parametrize("name", TABLES)
def test_the_row_found_is_the_first_that_matches(name: str) -> None:
    patterns = TABLES[name]
    combined = table(patterns)
    texts = _texts()
    found = [None if (match := combined.match(text)) is None else row(match) for text in texts]
    assert found == [_first(patterns, text) for text in texts]
    assert len({index for index in found if index is not None}) > 3  # the logs exercise the table


def test_the_tables_answer_through_their_rows() -> None:
    assert marker_of("Call init function: 0x1234") == ("phase", "init_table")
    assert marker_of("virtio-9p: fs0 started") == ("9p", "device_end")
    assert marker_of("flood line 7: the quick brown fox") is None
    assert classify_noise("SeaBIOS (version 1.16)") == "firmware"
    assert outcome_of("Unhandled Trap 8 (double fault)") == "crashed"
    assert outcome_of("Failed to mount fs0 (9pfs)") == "failed"


@pytest.mark.parametrize("name", TABLES)
def test_a_line_a_row_matches_begins_with_one_of_the_tables_starts(name: str) -> None:
    patterns = TABLES[name]
    first = starts(patterns)
    matched = [text for text in _texts() if table(patterns).match(text)]
    assert matched
    if first is not None:
        assert [text for text in matched if text[:1] not in first] == []


def test_the_phase_markers_have_known_starts() -> None:
    # the timeline skips the markers' regex for a printk message beginning with none of these
    assert starts(TABLES["phases"]) is not None
    assert marker_of("113000: Add allocate unit 140000 - 180000 (order 6)") is None
    assert marker_of("  heap start: 0x1000") == ("phase", "platform_entry")


@pytest.mark.parametrize(
    ("patterns", "first"),
    [
        (["ab|c", "(?:q|r)s", "[d-f]g", "x?y"], set("acqrdefxy")),
        ([r"\s*z"], {"z", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\u3000", "\xa0"}),
        (["a", "b?"], None),  # `b?` matches nothing too: any line
        (["a", ".x"], None),
        (["a", r"\dx"], None),
        (["a", "(?i)b"], None),
        (["a", "[^b]"], None),
    ],
)
def test_starts_is_every_first_character_or_none(patterns: list[str], first: set[str] | None) -> None:
    found = starts(patterns)
    if first is None or found is None:
        assert found is first
    else:
        assert first <= found
        assert all(char.isspace() for char in found - first)
