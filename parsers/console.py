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
from .printk import PRINTK, PRINTK_ANYWHERE, PRINTK_LINES, caller_of, printk_fields
from .records import Kind, Record

_new_record = tuple.__new__
"""`Record(...)` through NamedTuple's Python-level `__new__` costs a third of a line's budget."""

CALLERS = 4096
"""Caller pairs remembered per console (a flood prints from one call site: one pair for all)."""

MAX_LINE = 4096
"""Bytes after which a line without a terminator is cut into a `partial` record."""

_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~]?)")
_COLOURS_ONLY = re.compile(rb"(?:\x1b\[[0-9;]*m)*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Bytes that make a line need `decode_line` (escape sequences, controls)."""
_NOT_CONTROL = bytes(byte for byte in range(256) if not _CONTROL_BYTES.match(bytes([byte])))
"""Deleting these leaves a block's control bytes: 7x faster than the regex's scan when there are
none (the regex engine tests a character class byte by byte), as in most blocks."""
_LONE_CR = re.compile(rb"\r(?!\n)")
_GLUED = re.compile(rb"\[(?<=[^\n]\[)[ \t]*\d+\.\d{6}\] ?[ \t]*(?:dbg|Info|Warn|ERR|CRIT):")
"""A printk prefix without colours (lines with colour codes need care anyway) after a line's
first byte: a prefix glued to what came before it. Searched for in a whole block at once (the
scan for `[` is the regex engine's fast one), not line by line: a search per line was a tenth of
the parser's work. Its blanks are a line's (` `, a tab: other controls and a lone `\\r` make a
line need care anyway), so that a match never spans two lines."""
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


def rebuild(seq: int, kind: str, raw: bytes, host_ns: int | None, partial: bool) -> Record:
    """The record the parser made of `raw`, from what its text and fields are derived from: a kept
    console stores these five and not the decoded text twice over (a third of the memory)."""
    text = decode_line(raw)
    if text[:1] == "(":
        text = strip_guest_prefix(text)
    if kind == Kind.PRINTK and (match := PRINTK.match(text)) is not None:
        fields = printk_fields(match)
        return _new_record(Record, (seq, kind, text, raw, fields.message, *fields[:7], host_ns, partial))
    return _new_record(Record, (seq, kind, text, raw, text, None, None, None, None, None, None, None, host_ns, partial))


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
        self._callers: dict[tuple[str, str], tuple[int, int]] = {}
        """`{r:,f:}` as printed → as numbers: a line looks its pair up instead of parsing two hex numbers."""

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
            # a block of one line: the fast path when it is clean (reads end mid-line, so one
            # line in fourteen of a recorded flood is completed here)
            self._emit_block(line, start_ns, records)
            data = data[cut + 1 :]
        end = data.rfind(b"\n") + 1
        if end:
            self._emit_block(data[:end] if end < len(data) else data, host_ns, records)
        if end < len(data):
            self._tail += data[end:]
            self._tail_ns = host_ns
            self._emit_long_tail(records)
        return records

    def _emit_block(self, block: bytes, host_ns: int | None, records: list[Record]) -> None:
        """Complete lines. Whole-block scans find the few lines that need care (escape or control
        bytes, invalid UTF-8, overlong, a printk glued inside); the rest cost one match and one tuple."""
        position = 0
        for start, end in self._lines_needing_care(block):
            self._emit_clean(block, position, start, host_ns, records)
            self._emit_line(block[start:end], host_ns, records)
            position = end
        self._emit_clean(block, position, len(block), host_ns, records)

    def _lines_needing_care(self, block: bytes) -> list[tuple[int, int]]:
        starts = [m.start() for m in _CONTROL_BYTES.finditer(block)] if block.translate(None, _NOT_CONTROL) else []
        if b"\r" in block:
            starts += [m.start() for m in _LONE_CR.finditer(block)]
        if b"]" in block:  # no printk prefix without one
            starts += [m.start() for m in _GLUED.finditer(block)]
        if len(block) > self.max_line:
            starts += self._long_lines(block)
        spans: list[tuple[int, int]] = []
        for position in sorted(starts):
            if spans and position < spans[-1][1]:
                continue
            start = block.rfind(b"\n", 0, position) + 1
            spans.append((start, block.index(b"\n", position) + 1))
        return spans

    def _long_lines(self, block: bytes) -> list[int]:
        """Where the lines of `max_line` bytes or more start. Such a line covers a whole window of
        half that many bytes, so only windows without a newline are looked at (a few `find`s per
        block; splitting the block into lines to measure them made an object per line)."""
        half = max(self.max_line // 2, 1)
        starts: list[int] = []
        checked = 0
        for offset in range(0, len(block), half):
            if offset < checked or block.find(b"\n", offset, offset + half) >= 0:
                continue
            start = block.rfind(b"\n", 0, offset) + 1
            checked = block.index(b"\n", offset)
            if checked - start >= self.max_line:
                starts.append(start)
        return starts

    def _emit_clean(self, block: bytes, start: int, end: int, host_ns: int | None, records: list[Record]) -> None:
        while start < end:
            region = block[start:end]
            try:
                text = region.decode()
            except UnicodeDecodeError as error:
                # decode up to the line holding the invalid byte, that line the careful way
                bad = block.rfind(b"\n", 0, start + error.start) + 1
                stop = block.index(b"\n", start + error.start) + 1
                self._emit_clean(block, start, bad, host_ns, records)
                self._emit_line(block[bad:stop], host_ns, records)
                start = stop
                continue
            if "\r" in text:
                text = text.replace("\r\n", "\n")
            self._emit_lines(region.splitlines(keepends=True), PRINTK_LINES.findall(text), host_ns, records)
            return

    def _emit_lines(
        self, raws: list[bytes], lines: list[tuple[str, ...]], host_ns: int | None, records: list[Record]
    ) -> None:
        """Clean lines, as `PRINTK_LINES` splits them: `_make` inlined for the printk lines that
        make most of a console (a flood is all of them); `_make` for the rest. One method call per
        line was a fifth of the parser's time."""
        append = records.append
        make = self._make
        printk = Kind.PRINTK
        callers = self._callers
        app = self._app
        art = self._art_left
        seq = self._index
        for raw, fields in zip(raws, lines, strict=True):
            text, ts, level, thread, ra, fa, lib, src, srcline, osrc, osrcline, message, other = fields
            if not text:
                self._index = seq
                append(make(raw, other, host_ns, False))
                seq = self._index
                app = self._app
                art = self._art_left
                continue
            if art:
                art = self._art_left = 0
            if not src and osrc:
                src, srcline = osrc, osrcline
            if not app and message.startswith("Calling main"):
                app = self._app = True
            if not ra:
                caller = None
            elif (caller := callers.get((ra, fa))) is None:
                if len(callers) >= CALLERS:
                    callers.clear()
                caller = callers[ra, fa] = caller_of(ra, fa)
            record = (
                seq,
                printk,
                text,
                raw,
                message,
                float(ts),
                level or None,
                thread[1:-1] if thread else None,
                caller,
                lib or None,
                src or None,
                int(srcline) if srcline else None,
                host_ns,
                False,
            )
            append(_new_record(Record, record))
            seq += 1
        self._index = seq

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
        return self._make(raw, decode_line(raw), host_ns, partial)

    def _make(self, raw: bytes, text: str, host_ns: int | None, partial: bool) -> Record:
        seq = self._index
        self._index += 1
        if text[:1] == "(":
            text = strip_guest_prefix(text)
        if text[:1] == "[" and (match := PRINTK.match(text)) is not None:
            ts, level, thread, ra, _fa, lib, src, srcline, osrc, osrcline, message = match.groups()
            if src is None and osrc is not None:
                src, srcline = osrc, osrcline
            self._art_left = 0
            if not self._app and message.startswith("Calling main"):
                self._app = True
            caller = None if ra is None else printk_fields(match).caller
            line = None if srcline is None else int(srcline)
            return _new_record(
                Record,
                (
                    seq,
                    Kind.PRINTK,
                    text,
                    raw,
                    message,
                    float(ts),
                    level,
                    thread,
                    caller,
                    lib,
                    src,
                    line,
                    host_ns,
                    partial,
                ),
            )
        kind = self._classify(text)
        return _new_record(
            Record, (seq, kind, text, raw, text, None, None, None, None, None, None, None, host_ns, partial)
        )

    def _classify(self, text: str) -> str:
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
