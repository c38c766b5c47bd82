"""The console tail reads and writes Records, and keeps them out of the garbage collector's walk."""

from __future__ import annotations

import gc

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
