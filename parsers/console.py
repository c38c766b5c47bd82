"""Serial console bytes in, one `Record` per line out: incremental, lossless, chunking-proof.

Chunks may split lines (and UTF-8 sequences) anywhere; records only depend on the byte stream,
never on how it was chunked. Joining every record's `raw` gives back the input exactly.
What a real console carries is handled here: `\\r\\n`, escape sequences (SeaBIOS clears the
screen), a printk glued to `Booting from ROM..` or to app output, invalid UTF-8, control bytes,
and lines without end (cut every `max_line` bytes, the bytes kept).
"""

from __future__ import annotations

import re

from .banner import art_version, banner_start, one_line_banner
from .noise import classify_noise, strip_guest_prefix
from .printk import PRINTK_ANYWHERE, parse_printk
from .records import Kind, Record

MAX_LINE = 4096
"""Bytes after which a line without a terminator is cut into a `partial` record."""

_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~]?)")
_COLOURS_ONLY = re.compile(rb"(?:\x1b\[[0-9;]*m)*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_PICTURES = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421}


def decode_line(raw: bytes) -> str:
    """Printable text of one line: no line ending, no escape sequences, controls made visible."""
    text = raw.rstrip(b"\r\n").decode("utf-8", "replace")
    if "\x1b" in text:
        text = _ESCAPE.sub("", text)
    if "\r" in text:
        text = text.replace("\r", "")
    if _CONTROL.search(text):
        text = text.translate(_CONTROL_PICTURES)
    return text


class ConsoleParser:
    """Turns one guest console's byte stream into records, incrementally.

    Small state only: the unterminated tail, whether a banner is in progress, whether the
    application runs (unprefixed lines then count as its output).
    """

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._tail = bytearray()
        self._tail_ns: int | None = None
        self._index = 0
        self._art_left = 0
        self._app = False

    def feed(self, data: bytes, host_ns: int | None = None) -> list[Record]:
        """Records for every line `data` completes; `host_ns` is the chunk's arrival time."""
        if not data:
            return []
        records: list[Record] = []
        if self._tail:
            start_ns = self._tail_ns
            cut = data.find(b"\n")
            if cut < 0:
                self._tail += data
                self._emit_long_tail(records)
                return records
            self._tail += data[: cut + 1]
            line = bytes(self._tail)
            self._tail.clear()
            self._tail_ns = None
            self._emit_line(line, start_ns, records)
            data = data[cut + 1 :]
        lines = data.split(b"\n")
        tail = lines.pop()
        for line in lines:
            self._emit_line(line + b"\n", host_ns, records)
        if tail:
            self._tail += tail
            self._tail_ns = host_ns
            self._emit_long_tail(records)
        return records

    def flush(self) -> list[Record]:
        """Records for an unterminated last line, at the end of the stream."""
        records: list[Record] = []
        if self._tail:
            line = bytes(self._tail)
            self._tail.clear()
            self._emit_piece(line, self._tail_ns, True, records)
            self._tail_ns = None
        return records

    def _emit_long_tail(self, records: list[Record]) -> None:
        # cut an unterminated line at fixed offsets from its start, so chunking cannot matter
        while len(self._tail) > self.max_line:
            piece = bytes(self._tail[: self.max_line])
            del self._tail[: self.max_line]
            self._emit_piece(piece, self._tail_ns, True, records)

    def _emit_line(self, line: bytes, host_ns: int | None, records: list[Record]) -> None:
        if len(line) <= self.max_line:
            self._emit_piece(line, host_ns, False, records)
            return
        for start in range(0, len(line), self.max_line):
            piece = line[start : start + self.max_line]
            self._emit_piece(piece, host_ns, not piece.endswith(b"\n"), records)

    def _emit_piece(self, raw: bytes, host_ns: int | None, partial: bool, records: list[Record]) -> None:
        # a printk prefix inside the line starts a new record: `Booting from ROM..[    0.0] ...`
        if b"." in raw:
            start = 0
            position = 1
            while (match := PRINTK_ANYWHERE.search(raw, position)) is not None:
                position = match.end()
                if _COLOURS_ONLY.fullmatch(raw, start, match.start()):
                    continue  # only colour codes before it: the prefix of this very record
                records.append(self._record(raw[start : match.start()], host_ns, True))
                start = match.start()
            if start:
                raw = raw[start:]
        records.append(self._record(raw, host_ns, partial))

    def _record(self, raw: bytes, host_ns: int | None, partial: bool) -> Record:
        index = self._index
        self._index += 1
        text = strip_guest_prefix(decode_line(raw))
        if text.startswith("["):
            printk = parse_printk(text)
            if printk is not None:
                self._art_left = 0
                if printk.message.startswith("Calling main"):
                    self._app = True
                return Record(
                    index, Kind.PRINTK, text, raw, printk.message, *printk[:7], host_ns=host_ns, partial=partial
                )
        return Record(index, self._classify(text), text, raw, text, host_ns=host_ns, partial=partial)

    def _classify(self, text: str) -> Kind:
        if self._art_left:
            self._art_left = 0 if art_version(text) else self._art_left - 1
            return Kind.BANNER
        if art := banner_start(text):
            self._art_left = art
            self._app = True
            return Kind.BANNER
        if text.startswith("Powered by") and one_line_banner(text):
            self._app = True
            return Kind.BANNER
        noise = classify_noise(text)
        if noise is not None:
            return noise
        return Kind.APP if self._app else Kind.OTHER
