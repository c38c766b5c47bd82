"""Console bytes to records: what a real serial console carries."""

from __future__ import annotations

from uktrace.parsers import ConsoleParser, Kind, Record


def parse(data: bytes, *chunks: int) -> list[Record]:
    parser = ConsoleParser()
    records: list[Record] = []
    start = 0
    for size in chunks:
        records += parser.feed(data[start : start + size], host_ns=start)
        start += size
    records += parser.feed(data[start:], host_ns=start)
    return records + parser.flush()


def test_glued_to_seabios_is_split_and_lossless() -> None:
    data = b"SeaBIOS (version 1.16.0)\nBooting from ROM..[    0.000000] CRIT: [libkvmplat] <paging.c @  541> Assertion failure: x\n"
    records = parse(data)
    assert [r.kind for r in records] == [Kind.FIRMWARE, Kind.FIRMWARE, Kind.PRINTK]
    assert records[1].text == "Booting from ROM.." and records[1].partial
    assert records[2].message == "Assertion failure: x" and not records[2].partial
    assert b"".join(r.raw for r in records) == data


def test_printk_glued_to_printk_and_to_app_output() -> None:
    data = b"[    0.100000] Info: [libvfscore] Mount devfs to /dev...[    0.200000] Info: [libukboot] Calling main(1, ['a'])\n"
    data += b"Hello[    0.300000] Info: [libukboot] main returned 0, halting system\n"
    records = parse(data)
    assert [r.message for r in records] == [
        "Mount devfs to /dev...",
        "Calling main(1, ['a'])",
        "Hello",
        "main returned 0, halting system",
    ]
    assert records[2].kind == Kind.APP


def test_a_glued_printk_is_split_however_the_line_arrives() -> None:
    """Unpadded (`]Info:`) with no `] ` in the same read: split as when a neighbour has one, or
    when the line comes in two reads (it once depended on what else the read carried)."""
    line = b"Booting from ROM..[    0.000000]Info:hello\n"
    alone = parse(line)
    assert [(r.kind, r.text) for r in alone] == [
        (Kind.FIRMWARE, "Booting from ROM.."),
        (Kind.PRINTK, "[    0.000000]Info:hello"),
    ]
    assert [r[1:12] for r in parse(b"x] y\n" + line)[1:]] == [r[1:12] for r in alone]
    assert [r[1:12] for r in parse(line, 5)] == [r[1:12] for r in alone]


def test_seabios_escape_sequences_and_crlf() -> None:
    data = b"\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n"
    data += b"\x1b[0m[    0.000000] \x1b[0m\x1b[1;32mInfo: \x1b[0m[libkvmplat] <setup.c @  468> Entering from KVM (x86)...\r\n"
    records = parse(data)
    assert records[0].text == "SeaBIOS (version 1.16.2-debian-1.16.2-1)"
    assert records[0].kind == Kind.FIRMWARE
    assert records[1].kind == Kind.PRINTK and records[1].level == "Info"
    assert records[1].message == "Entering from KVM (x86)..."


def test_invalid_utf8_and_control_bytes_become_visible_text() -> None:
    data = b"[    0.5] Info: [app] bad \xff\xfe\xc3\x28 bytes\x01\x02 here\n"
    (record,) = parse(data)
    assert record.kind == Kind.PRINTK
    assert "\ufffd" in record.message and "\u2401\u2402" in record.message
    assert record.raw == data


def test_long_line_is_cut_but_every_byte_kept() -> None:
    data = b"x" * 10_000 + b"\nnext\n"
    records = parse(data, 3000, 3000)
    assert [len(r.raw) for r in records] == [4096, 4096, 10_000 - 8192 + 1, 5]
    assert [r.partial for r in records] == [True, True, False, False]
    assert b"".join(r.raw for r in records) == data


def test_chunk_split_inside_utf8_sequence_and_prefix() -> None:
    data = "[    0.1] Info: [app] grüße\n".encode()
    cut = data.index(b"\xc3") + 1
    whole = parse(data)
    split = parse(data, cut)
    assert [r.text for r in split] == [r.text for r in whole] == ["[    0.1] Info: [app] grüße"]


def test_host_time_is_the_arrival_of_the_first_byte() -> None:
    parser = ConsoleParser()
    assert parser.feed(b"[    0.0] Info: [a] hal", host_ns=100) == []
    (record,) = parser.feed(b"f\n", host_ns=250)
    assert record.host_ns == 100


def test_unterminated_last_line_is_flushed() -> None:
    parser = ConsoleParser()
    assert parser.feed(b"Booting from ROM..") == []
    (record,) = parser.flush()
    assert record.partial and record.kind == Kind.FIRMWARE


def test_noise_sources() -> None:
    data = (
        b"2024-09-16T10:46:36.488090104 [anonymous-instance:main] Running Firecracker v1.8.0\n"
        b"qemu-system-x86_64: warning: host doesn't support requested feature\n"
        b"\t\t i  using arch=x86_64 plat=qemu\n"
        b"(XEN) d1v0 unhandled exception\n"
        b"Google, Inc.\n"
        b"(d1) [    0.1] Info: [libxenplat] <setup.c @  1> Entering from Xen (x86, PV)...\n"
        b"(XEN) DOM1: [    0.2] Info: [libukboot] <boot.c @  1> Init Table @ 0x1 - 0x2\n"
    )
    records = parse(data)
    assert [r.kind for r in records] == [
        Kind.VMM,
        Kind.VMM,
        Kind.VMM,
        Kind.VMM,
        Kind.FIRMWARE,
        Kind.PRINTK,
        Kind.PRINTK,
    ]
    assert records[5].message == "Entering from Xen (x86, PV)..."
    assert records[6].library == "libukboot"


def test_banner_art_and_app_output() -> None:
    data = (
        b"Powered by\no.   .o       _ _               __ _\nOo   Oo  ___ (_) | __ __  __ _ ' _) :_\n"
        b"oO   oO ' _ `| | |/ /  _)' _` | |_|  _)\noOo oOO| | | | |   (| | | (_) |  _) :_\n"
        b" OoOoO ._, ._:_:_,\\_._,  .__,_:_, \\___)\n                Calypso 0.17.0~3c884328\n"
        b"Hello from Unikraft!\n"
    )
    records = parse(data)
    assert [r.kind for r in records] == [Kind.BANNER] * 7 + [Kind.APP]


def test_unknown_line_before_the_app_is_other() -> None:
    (record,) = parse(b"something unexpected\n")
    assert record.kind == Kind.OTHER and record.message == "something unexpected"


def test_fully_coloured_printk_as_libukdebug_ansi_color_prints_it() -> None:
    # every element preceded by a reset, then its colour (CONFIG_LIBUKDEBUG_ANSI_COLOR=y, 0.10+)
    line = (
        b"\x1b[0m\x1b[32m[    0.104408] \x1b[0m\x1b[1;32mInfo: \x1b[0m\x1b[34m<main> \x1b[0m\x1b[31m{r:0x10b8fe,f:0x1bcfd8} "
        b"\x1b[0m\x1b[33m[libkvmplat] \x1b[0m\x1b[36m<tscclock.c @  274> \x1b[0mClock source: TSC, frequency estimate is 1 Hz\r\n"
    )
    glued = b"Booting from ROM.." + line.replace(b"Info: ", b"CRIT: ").replace(b"1;32m", b"1;37;41m")
    records = parse(line + glued)
    assert [r.kind for r in records] == [Kind.PRINTK, Kind.FIRMWARE, Kind.PRINTK]
    first = records[0]
    assert (first.timestamp, first.level, first.thread, first.library, first.source, first.source_line) == (
        0.104408,
        "Info",
        "main",
        "libkvmplat",
        "tscclock.c",
        274,
    )
    assert first.caller == (0x10B8FE, 0x1BCFD8)
    assert first.message == "Clock source: TSC, frequency estimate is 1 Hz"
    assert records[1].text == "Booting from ROM.." and records[2].level == "CRIT"
    assert b"".join(r.raw for r in records) == line + glued


def test_lines_at_and_around_the_cap_are_cut_alike_in_one_block() -> None:
    # the whole-block scan for overlong lines looks at windows of half the cap: every length
    # around it, lines side by side and last in the block, cut as a line read alone is
    for max_line in range(1, 10):
        lines = [b"x" * length + b"\n" for length in range(3 * max_line + 2)]
        lines += lines[::-1]
        expected = [
            piece
            for line in lines
            for piece in (
                [line] if len(line) <= max_line else [line[i : i + max_line] for i in range(0, len(line), max_line)]
            )
        ]
        records = ConsoleParser(max_line=max_line).feed(b"".join(lines))
        assert [record.raw for record in records] == expected, max_line
