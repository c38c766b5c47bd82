"""The integrity line check: the bytes before it, and nothing else, must match."""

from __future__ import annotations

import os
import random
import re
import zlib

from tests.pages import DOCS, ROOT
from uktrace.model.integrity import IntegrityWatch, check_integrity, crc32_combine, fnv1a32

GUEST = b"[    0.000000] Info: [libkvmplat] <setup.c @  113> Entering from KVM (x86)...\nHello world!\n"


def line(algorithm: str, value: int, count: int = len(GUEST)) -> bytes:
    return f"uktrace-integrity: bytes={count} {algorithm}={value:08x}\n".encode()


def test_crc32_over_exactly_the_guests_bytes() -> None:
    firmware = b"SeaBIOS (version 1.16.2)\nBooting from ROM.."  # before the guest: outside the window
    assert check_integrity(firmware + GUEST + line("crc32", zlib.crc32(GUEST))) == "ok"


def test_a_lost_or_changed_byte_is_a_mismatch() -> None:
    damaged = GUEST.replace(b"Hello", b"Hallo")
    assert check_integrity(damaged + line("crc32", zlib.crc32(GUEST))).startswith("mismatch: crc32")
    assert check_integrity(GUEST[5:] + line("crc32", zlib.crc32(GUEST))) == (
        f"mismatch: guest wrote {len(GUEST)} bytes, {len(GUEST) - 5} received"
    )


def test_older_recordings_use_fnv1a32() -> None:
    assert check_integrity(GUEST + line("fnv1a32", fnv1a32(GUEST))) == "ok"
    assert fnv1a32(b"") == 0x811C9DC5 and fnv1a32(b"a") == 0xE40C292C  # the published test vectors


def test_no_line_no_verdict() -> None:
    assert check_integrity(GUEST) is None


def test_the_docs_name_the_algorithm_the_guest_prints() -> None:
    """The docs follow guest/shutdown.c: a reader checking a console by hand uses the right hash.
    The test guest's page and its README show the line; no page or README shows another."""
    printed = re.search(r'"uktrace-integrity: bytes=%u (\w+)=%08x', (ROOT / "guest/shutdown.c").read_text())
    assert printed is not None and printed[1] == "crc32"
    texts = {path: path.read_text() for path in [ROOT / "README.md", ROOT / "guest/README.md", *DOCS.rglob("*.md")]}
    for path, text in texts.items():
        documented = re.findall(r"uktrace-integrity: bytes=\S+ (\w+)=", text)
        assert set(documented) <= {printed[1]}, path
        if path in (ROOT / "guest/README.md", DOCS / "test-guest.md"):
            assert documented, path


def test_the_watch_judges_the_bytes_as_they_come_like_the_whole_console() -> None:
    rng = random.Random(7)
    for _ in range(20):
        a, b = os.urandom(rng.randint(0, 3000)), os.urandom(rng.randint(0, 3000))
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    for before in (b"", b"SeaBIOS (version 1.16)\n" * 8):  # others' bytes before the guest's own
        for size in (0, 10, 5000, 200_000):
            body = bytes(rng.randrange(256) for _ in range(size)).replace(b"u", b"x")
            line = b"uktrace-integrity: bytes=%d crc32=%08x\n" % (len(body), zlib.crc32(body))
            good = before + body + line + b"after\n"
            bad = bytearray(good)
            if size:
                bad[len(before) + size // 2] ^= 1
            for console in (good, bytes(bad)):
                watch, at = IntegrityWatch(), 0
                while at < len(console):  # in reads of any size: the line is split across some
                    step = rng.randint(1, 700)
                    watch.feed(console[at : at + step])
                    at += step
                assert watch.verdict == check_integrity(console)
            assert check_integrity(good) == "ok"
