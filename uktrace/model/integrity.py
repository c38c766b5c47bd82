"""The test guest's integrity line: proof that no console byte was lost on the way.

The guest ends with `uktrace-integrity: bytes=N crc32=H`, N and H covering every byte it wrote
before that line; the host checks the N bytes received right before the line with zlib's CRC-32
(C speed: a flood's megabytes do not stall the event loop). Recordings from before the switch
carry `fnv1a32=H`, still checked (in Python, slowly).
"""

from __future__ import annotations

import functools
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


PREFIX_KEEP = 1 << 16
"""Console bytes kept from the start: others' bytes (a firmware's) before the guest's own can be
taken out of the running CRC when they fit in here."""
TAIL_KEEP = 256
"""Bytes kept from the end, so an integrity line split across two reads is still found."""


class IntegrityWatch:
    """The integrity check on the bytes as they are received, in constant memory: a running CRC-32,
    the first `PREFIX_KEEP` bytes and the last `TAIL_KEEP`. Judged on what reached uktrace, so a
    recording that failed to store them (a full disk) cannot make a good console look bad."""

    def __init__(self) -> None:
        self.received = 0
        self.verdict: str | None = None
        self._crc = 0
        """CRC-32 of every byte before `_tail`."""
        self._prefix = bytearray()
        self._tail = bytearray()
        self._searched = 0
        """Absolute offset up to which the tail was searched for a line's start."""

    def feed(self, data: bytes) -> None:
        if len(self._prefix) < PREFIX_KEEP:
            self._prefix += data[: PREFIX_KEEP - len(self._prefix)]
        tail_start = self.received - len(self._tail)
        self._tail += data
        self.received += len(data)
        start = max(0, self._searched - tail_start)
        if self._tail.find(b"uktrace-integrity", start) >= 0:  # a scan for bytes, not the regex's
            for match in INTEGRITY.finditer(self._tail, start):
                self.verdict = self._judge(match, tail_start)  # the last line found decides, as on disk
        self._searched = self.received - 80  # a line not complete yet is found again next time
        if len(self._tail) > TAIL_KEEP:
            cut = len(self._tail) - TAIL_KEEP
            self._crc = zlib.crc32(self._tail[:cut], self._crc)
            del self._tail[:cut]

    def _judge(self, match: re.Match[bytes], tail_start: int) -> str:
        count, algorithm, expected = int(match[1]), match[2].decode(), int(match[3], 16)
        start = tail_start + match.start()
        if count > start:
            return f"mismatch: guest wrote {count} bytes, {start} received"
        if algorithm != "crc32":
            return "unchecked: fnv1a32 is checked from the recording only"
        whole = zlib.crc32(self._tail[: match.start()], self._crc)  # every byte before the line
        extra = start - count
        if extra > len(self._prefix):
            return f"unchecked: {extra} bytes before the guest's own"
        # crc(window) = crc(all) ^ crc(prefix) advanced over the window's length (zlib's combine)
        actual = whole ^ crc32_combine(zlib.crc32(self._prefix[:extra]), 0, count)
        return "ok" if actual == expected else f"mismatch: {algorithm} {actual:08x} != {expected:08x}"


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """CRC-32 of A+B from crc(A), crc(B) and len(B): zlib's `crc32_combine`, which Python's zlib
    does not expose (GF(2) matrices advance crc1 over len(B) zero bytes). The operator for 2^k
    zero bytes is computed once per k: a combine is then one matrix product per bit of len(B),
    ~0.1 ms, where squaring the operators each time took ~6 ms per guest at a storm's end."""
    if length2 <= 0 or crc1 == 0:  # an empty A advances to nothing
        return crc1 ^ crc2
    for bit in range(length2.bit_length()):
        if length2 >> bit & 1:
            crc1 = _times(_zero_bytes_operator(bit), crc1)
    return crc1 ^ crc2


@functools.cache
def _zero_bytes_operator(bit: int) -> list[int]:
    """The GF(2) matrix that advances a CRC-32 over 2**bit zero bytes."""
    if bit == 0:
        one_zero_bit = [0xEDB88320] + [1 << n for n in range(31)]
        operator = one_zero_bit
        for _ in range(3):  # 2, 4, 8 bits
            operator = _square(operator)
        return operator
    return _square(_zero_bytes_operator(bit - 1))


def _times(matrix: list[int], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, matrix[n]) for n in range(32)]
