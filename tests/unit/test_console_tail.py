"""The console tail reads and writes Records, and keeps them out of the garbage collector's walk."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest

from uktrace.model.console_tail import ConsoleTail
from uktrace.parsers import ConsoleParser, Record

LOG = b"".join(
    b"[    0.%06d] Info: {r:0x104deb,f:0x10e1c0} [libkvmplat] <setup.c @  113> line %d\n" % (i, i) for i in range(50)
)


def records() -> list[Record]:
    parser = ConsoleParser()
    return [*parser.feed(LOG, 1_000), *parser.flush()]


def test_records_go_in_and_come_back_the_same() -> None:
    parsed = records()
    tail = ConsoleTail(100)
    tail.extend(parsed[:-1])
    tail.append(parsed[-1])
    assert list(tail) == parsed and all(type(r) is Record for r in tail)
    assert tail[0] == parsed[0] and tail[-1].caller == parsed[-1].caller and tail[-1].message == "line 49"
    assert len(tail) == 50 and tail


def test_the_oldest_go_first_and_after_reads_only_what_is_new() -> None:
    parsed = records()
    tail = ConsoleTail(10)
    tail.extend(parsed)
    assert [r.seq for r in tail] == list(range(40, 50))
    assert [r.seq for r in tail.after(46)] == [47, 48, 49]
    assert tail.after(49) == [] and [r.seq for r in tail.after(-1)] == list(range(40, 50))
    tail.clear()
    assert not tail and tail.after(-1) == [] and tail.maxlen == 10


def test_a_stored_record_is_not_walked_by_the_collector() -> None:
    parsed = records()
    assert gc.is_tracked(parsed[0])  # a NamedTuple stays tracked for life: why the tail exists
    tail = ConsoleTail(100)
    tail.extend(parsed)
    del parsed
    gc.collect()  # untracks each row's `caller` pair, then (the next time) the row: they never
    gc.collect()  # reach the oldest generation that full collections walk
    assert not any(isinstance(o, Record) for o in gc.get_objects())
    assert not any(gc.is_tracked(row) for row in tail._rows)


DATA = Path(__file__).parent.parent / "data"
FLOOD = b"".join(
    b"[    0.%06d] dbg:  {r:0x102e97,f:0x3fcff18} [appflood] <flood.c @   13> flood line %d: "
    b"the quick brown fox jumps over the lazy dog\n" % (126242 + i, i)
    for i in range(1000)
)


@pytest.mark.parametrize(
    "path",
    [*sorted((DATA / "logs").glob("*.log")), *sorted((DATA / "recordings").rglob("console.raw"))],
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_every_real_record_comes_back_the_same(path: Path) -> None:
    parser = ConsoleParser()
    data = path.read_bytes()
    parsed = [
        record for offset in range(0, len(data), 1000) for record in parser.feed(data[offset : offset + 1000], offset)
    ]
    parsed += parser.flush()
    tail = ConsoleTail(len(parsed))
    tail.extend(parsed)
    assert list(tail) == parsed


def test_a_flooding_guests_tail_keeps_its_bytes_not_their_parse() -> None:
    """A thousand 120-byte flood lines: the bytes and a small row each (the parsed text, message and
    fields held beside them took ~900 bytes a line)."""
    tracemalloc.start()
    try:
        parser = ConsoleParser()
        tail = ConsoleTail(1000)
        tail.extend(parser.feed(FLOOD, 1_000))
        gc.collect()
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(tail) == 1000 and tail[-1].message.startswith("flood line 999:")
    assert kept / len(tail) < 400
