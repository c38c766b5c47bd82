"""Properties over arbitrary bytes: never an exception, never a lost byte, chunking never matters."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import LOGS
from uktrace.model.timeline import BootTimeline
from uktrace.parsers import ConsoleParser, Kind, Record
from uktrace.parsers.console import rebuild
from uktrace.parsers.printk import PRINTK

REAL = b"".join(path.read_bytes() for path in sorted(LOGS.glob("*.log")))

# arbitrary bytes, biased toward the pieces real consoles are made of
PIECES = st.sampled_from(
    [
        b"\n",
        b"\r\n",
        b"\x1b[0m",
        b"\x1bc",
        b"[    0.100000] ",
        b"Info: ",
        b"CRIT: ",
        b"[libukboot] ",
        b"<boot.c @  1> ",
        b"<<n/a>> ",
        b"<> ",
        b"{r:0x10a2b,f:(nil)} ",
        b"boot.c @ 92   : ",
        b"\t",
        b"\xc2\x85",
        b"Booting from ROM..",
        b"Powered by\n",
        b"Calling main(",
        b"\xff",
        b"\xc3",
        b"main returned 0",
        b"x" * 300,
    ]
)
CONSOLE = st.lists(st.one_of(PIECES, st.binary(max_size=40)), max_size=60).map(b"".join)


def records_of(data: bytes, cuts: list[int]) -> list[Record]:
    parser = ConsoleParser(max_line=256)
    records: list[Record] = []
    start = 0
    for cut in sorted(set(cuts)):
        records += parser.feed(data[start:cut])
        start = cut
    records += parser.feed(data[start:])
    return records + parser.flush()


@settings(max_examples=300, deadline=None)
@given(data=CONSOLE, cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=20))
def test_any_bytes_any_chunking_same_records_nothing_lost(data: bytes, cuts: list[int]) -> None:
    chunked = records_of(data, [c for c in cuts if c <= len(data)])
    whole = records_of(data, [])
    assert chunked == whole
    assert b"".join(record.raw for record in whole) == data


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(CONSOLE, st.just(REAL)), cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=20))
def test_a_line_read_in_a_block_reads_as_alone(data: bytes, cuts: list[int]) -> None:
    """Clean lines are read a block at a time (`PRINTK_LINES`); each record is what its line
    parsed alone (`PRINTK`, as a kept console's records are rebuilt) gives."""
    for record in records_of(data, [c for c in cuts if c <= len(data)]):
        assert (record.kind == Kind.PRINTK) == (PRINTK.match(record.text) is not None)
        assert rebuild(record.seq, record.kind, record.raw, record.host_ns, record.partial) == record


@settings(max_examples=100, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(REAL)), max_size=40))
def test_real_logs_chunked_anywhere(cuts: list[int]) -> None:
    assert records_of(REAL, cuts) == records_of(REAL, [])


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(CONSOLE, st.just(REAL)), cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=10))
def test_phases_are_ordered(data: bytes, cuts: list[int]) -> None:
    timeline = BootTimeline("g")
    timeline.spawned(0)
    for index, record in enumerate(records_of(data, [c for c in cuts if c <= len(data)])):
        timeline.consume(record._replace(host_ns=index * 1000))
    timeline.finish()
    phases = timeline.phases()
    starts = [phase.start for phase in phases if phase.clock == "host"]
    assert starts == sorted(starts)
    for phase in phases:
        if phase.start is not None and phase.end is not None:
            assert phase.end >= phase.start
    guest = [p.guest_start for p in phases if p.guest_start is not None and p.name != "9p_handshake"]
    assert guest == sorted(guest)
