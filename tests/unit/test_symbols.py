"""Naming addresses from a kernel's symbol table."""

from __future__ import annotations

from pathlib import Path

import pytest

from uktrace.kernel.find import TEST_GUEST
from uktrace.kernel.symbols import RIP, Symbols, crash_location, load_symbols


def test_lookup_inside_at_and_outside_functions() -> None:
    symbols = Symbols([(0x1000, 0x20, "main"), (0x1100, 0x10, "helper")])
    assert symbols.lookup(0x1000) == "main"
    assert symbols.lookup(0x101C) == "main+0x1c"
    assert symbols.lookup(0x1020) is None  # past main's end, before helper
    assert symbols.lookup(0x0FFF) is None
    assert symbols.lookup(0x1105) == "helper+0x5"


@pytest.mark.parametrize(
    ("line", "address"),
    [
        ("[    0.182522] CRIT: [libkvmplat] <trace.c @   41> RIP: 0000000000165d51 CS: 0008", "0000000000165d51"),
        ("[    1.018315] CRIT: RIP: 0008:0000000000000000", "0000000000000000"),
        ("[    0.412403] CRIT: rip: 0008:0000000000123456", "0000000000123456"),
    ],
)
def test_rip_in_every_register_dump_style(line: str, address: str) -> None:
    match = RIP.search(line)
    assert match is not None and match[1] == address


def test_not_an_elf_has_no_symbols(tmp_path: Path) -> None:
    text = tmp_path / "kernel"
    text.write_text("not an ELF")
    assert load_symbols(text) is None
    assert crash_location(["RIP: 0000000000001000 CS: 0008"], text) == "0x1000"


@pytest.mark.skipif(not TEST_GUEST.is_file(), reason="needs the built test guest")
def test_the_test_guest_keeps_its_symbols() -> None:
    symbols = load_symbols(TEST_GUEST)
    assert symbols is not None and len(symbols) > 50
