"""Banners, versions and crash screens of every release."""

from __future__ import annotations

import pytest

from uktrace.model.timeline import BootTimeline, Status
from uktrace.parsers import ConsoleParser, Kind
from uktrace.parsers.banner import UnikraftVersion, art_version, message_version, one_line_banner


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("            Tethys 0.5.0~b8be82b-custom", UnikraftVersion("0.5.0", "Tethys", "b8be82b-custom")),
        ("                Calypso 0.17.0~3c884328", UnikraftVersion("0.17.0", "Calypso", "3c884328")),
        ("                      Iapetus 0.3", UnikraftVersion("0.3", "Iapetus", None)),
    ],
)
def test_art_version_lines(line: str, expected: UnikraftVersion) -> None:
    assert art_version(line) == expected


def test_one_line_banner_with_and_without_sha() -> None:
    assert one_line_banner("Powered by Unikraft Helene (0.18.0~20800b7)") == UnikraftVersion(
        "0.18.0", "Helene", "20800b7"
    )
    assert one_line_banner("Powered by Unikraft Ijiraq (0.21.0)") == UnikraftVersion("0.21.0", "Ijiraq", None)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Unikraft Calypso (0.17.0)", UnikraftVersion("0.17.0", "Calypso", None)),
        ("Unikraft crash - Pandora (0.15.0~689db89)", UnikraftVersion("0.15.0", "Pandora", "689db89")),
        ("Unikraft Crash - Kiviuq (0.20.0~667ac92)", UnikraftVersion("0.20.0", "Kiviuq", "667ac92")),
        ("Unikraft constructor table at 0x1 - 0x2", None),
    ],
)
def test_versions_in_messages(message: str, expected: UnikraftVersion | None) -> None:
    assert message_version(message) == expected


def test_0_20_crash_screen_is_a_crash_with_the_version() -> None:
    timeline = BootTimeline("g")
    parser = ConsoleParser()
    console = (
        b"[    0.412345] CRIT: [libkvmplat] Unhandled page fault vaddr=0x0, error code=0x4\n"
        b"[    0.412400] CRIT: Unikraft Crash - Kiviuq (0.20.0~667ac92)\n"
        b"[    0.412401] CRIT:     _      \n"
        b"[    0.412402] CRIT: Registers:\n"
        b"[    0.412403] CRIT: rip: 0008:0000000000123456\n"
        b"System rebooting in 5 seconds...\n"
    )
    for record in parser.feed(console) + parser.flush():
        timeline.consume(record)
    assert timeline.status is Status.CRASHED
    assert timeline.ending is not None and timeline.ending.reason == "Unhandled page fault vaddr=0x0, error code=0x4"
    assert timeline.version == UnikraftVersion("0.20.0", "Kiviuq", "667ac92")


def test_cp437_banner_art_is_still_banner() -> None:
    # the EA variant prints CP437 block characters: invalid UTF-8 on a modern terminal
    console = b"Powered by\n\xdb\xdb\xdb\xdb \xdc\xdc\n\xdb\xdb\xdf\xdf\n                 Telesto 0.16.1~abc1234\nHi\n"
    records = ConsoleParser().feed(console)
    assert [r.kind for r in records] == [Kind.BANNER] * 4 + [Kind.APP]
    timeline = BootTimeline("g")
    for record in records:
        timeline.consume(record)
    assert timeline.version == UnikraftVersion("0.16.1", "Telesto", "abc1234")
    assert [p.name for p in timeline.phases()] == ["banner", "main"]
