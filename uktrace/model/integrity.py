"""The test guest's integrity line: proof that no console byte was lost on the way.

The guest ends with `uktrace-integrity: bytes=N crc32=H`, N and H covering every byte it wrote
before that line; the host checks the N bytes received right before the line with zlib's CRC-32
(C speed: a flood's megabytes do not stall the event loop). Recordings from before the switch
carry `fnv1a32=H`, still checked (in Python, slowly).
"""

from __future__ import annotations

import re
import zlib

INTEGRITY = re.compile(rb"uktrace-integrity: bytes=(\d+) (crc32|fnv1a32)=([0-9a-f]{8})")


def fnv1a32(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def check_integrity(console: bytes) -> str | None:
    """`ok`, `mismatch: ...`, or None when the console carries no integrity line."""
    matches = list(INTEGRITY.finditer(console))
    if not matches:
        return None
    match = matches[-1]
    count, algorithm, expected = int(match[1]), match[2].decode(), int(match[3], 16)
    start = match.start()
    if count > start:
        return f"mismatch: guest wrote {count} bytes, {start} received"
    covered = console[start - count : start]
    actual = zlib.crc32(covered) if algorithm == "crc32" else fnv1a32(covered)
    return "ok" if actual == expected else f"mismatch: {algorithm} {actual:08x} != {expected:08x}"
