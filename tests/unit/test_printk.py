"""The printk prefix grammar, one case per Unikraft era and Kconfig combination."""

from __future__ import annotations

import pytest

from uktrace.parsers import parse_printk


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # 0.2-0.4: `file.c @ line   : `
        (
            "[   69.438952] CRIT: [libvfscore] rootfs.c @ 85   : Failed to mount /: 0",
            (69.438952, "CRIT", None, None, "libvfscore", "rootfs.c", 85, "Failed to mount /: 0"),
        ),
        # 0.5+: `<file.c @  line> `
        (
            "[    0.100376] CRIT: [libvfscore] <rootfs.c @   85> Failed to mount /: 0",
            (0.100376, "CRIT", None, None, "libvfscore", "rootfs.c", 85, "Failed to mount /: 0"),
        ),
        # 0.10+: caller info before the library
        (
            "[    0.000000] Info: {r:0x10b8fe,f:0x1bcfd8} [libkvmplat] <setup.c @  468> Entering from KVM (x86)...",
            (0.0, "Info", None, (0x10B8FE, 0x1BCFD8), "libkvmplat", "setup.c", 468, "Entering from KVM (x86)..."),
        ),
        # 0.12+: thread and caller; `<<n/a>>` when no thread runs yet
        (
            "[    0.000000] CRIT: <<n/a>> {r:0x10fdb6,f:0x217ff0} [libkvmplat] <setup.c @  467> Failed to init"
            " bootstrap processor",
            (
                0.0,
                "CRIT",
                "<n/a>",
                (0x10FDB6, 0x217FF0),
                "libkvmplat",
                "setup.c",
                467,
                "Failed to init bootstrap processor",
            ),
        ),
        (
            "[    1.5] Info: <main> [libukboot] <boot.c @ 1> x",
            (1.5, "Info", "main", None, "libukboot", "boot.c", 1, "x"),
        ),
        # kraft catalog builds: no `<file @ line>`; crash screen: no `[lib]` either
        (
            "[    0.372817] CRIT: [libukvmem] Cannot handle write page fault at 0xffffc6e78",
            (0.372817, "CRIT", None, None, "libukvmem", None, None, "Cannot handle write page fault at 0xffffc6e78"),
        ),
        (
            "[    1.017321] CRIT: Unikraft crash - Pandora (0.15.0~689db89)",
            (1.017321, "CRIT", None, None, None, None, None, "Unikraft crash - Pandora (0.15.0~689db89)"),
        ),
        # whitespace collapsed by a Markdown renderer
        (
            "[ 0.154595] dbg: {r:0x114c2a,f:0x7f1fe10} [libuk9p] <9p.c @ 102> TVERSION msize 520192 version 9P2000.u",
            (
                0.154595,
                "dbg",
                None,
                (0x114C2A, 0x7F1FE10),
                "libuk9p",
                "9p.c",
                102,
                "TVERSION msize 520192 version 9P2000.u",
            ),
        ),
        # a message that itself contains brackets and `@`
        (
            "[    0.1] Info: [libkvmplat] <setup.c @  519> Switch from bootstrap stack to stack @0x7fe0000",
            (0.1, "Info", None, None, "libkvmplat", "setup.c", 519, "Switch from bootstrap stack to stack @0x7fe0000"),
        ),
        # linuxu prints host uptime
        (
            "[ 2692.514525] Info: [libukboot] <boot.c @  245> x",
            (2692.514525, "Info", None, None, "libukboot", "boot.c", 245, "x"),
        ),
    ],
)
def test_every_era_prefix(line: str, expected: tuple[object, ...]) -> None:
    printk = parse_printk(line)
    assert printk is not None
    assert tuple(printk) == expected


@pytest.mark.parametrize("line", ["Booting from ROM..", "[libfoo] not a printk", "[ 0.1 ] Info x", "Hello world!", ""])
def test_not_printk(line: str) -> None:
    assert parse_printk(line) is None


def test_nil_caller_address() -> None:
    printk = parse_printk("[    0.0] dbg:  {r:(nil),f:0x10} [lib] x")
    assert printk is not None and printk.caller == (0, 0x10)
