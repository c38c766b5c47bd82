"""The test guest's integrity line: proof that no console byte was lost on the way.

The guest ends with `uktrace-integrity: bytes=N fnv1a32=H`, N and H covering every byte it wrote
before that line; the host hashes the N bytes received right before the line and compares.
"""

from __future__ import annotations

import re

INTEGRITY = re.compile(rb"uktrace-integrity: bytes=(\d+) fnv1a32=([0-9a-f]{8})")


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
    count, expected = int(match[1]), int(match[2], 16)
    start = match.start()
    if count > start:
        return f"mismatch: guest wrote {count} bytes, {start} received"
    actual = fnv1a32(console[start - count : start])
    return "ok" if actual == expected else f"mismatch: fnv1a32 {actual:08x} != {expected:08x}"
