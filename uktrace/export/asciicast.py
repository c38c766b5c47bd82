"""One guest's console as an asciicast v2 file (asciinema's format): `asciinema play` shows the boot
as it scrolled by, at its real pace.

Each console chunk of the recording becomes one output event at the host time it arrived
(seconds since the guest's spawn), so the wait before the first byte is the real one. The bytes
are decoded as UTF-8 with replacement, one decoder across chunks so a character split between
two reads survives; a bare `\\n` becomes `\\r\\n`, because the guest's serial console is not a
terminal with output translation and a player is (without CR every line would start where the
last one ended). Needs a recording: a saved log has no timing.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator

from ..recording.reader import read_guest
from ..recording.record import RecordingError
from .runs import ExportError, Run

WIDTH = (80, 200)
"""Terminal columns: the console's longest line, within these bounds."""
HEIGHT = 30
_BARE_LF = re.compile(r"(?<!\r)\n")
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def render(run: Run, guest: str | None = None) -> str:
    """The cast of `guest` (default: the run's first), header line then one event per chunk."""
    name = guest or next((str(g.get("name")) for g in run.guests), None)
    if run.recording is None or name is None:
        raise ExportError(f"{run.name}: asciicast needs a recording (a saved log or JSON has no console timing)")
    try:
        recorded = read_guest(run.recording, name)
    except RecordingError as error:
        raise ExportError(str(error)) from None
    events = list(output_events(recorded.chunks))
    text = "".join(data for _, data in events)
    header: dict[str, object] = {
        "version": 2,
        "width": min(max(_longest_line(text), WIDTH[0]), WIDTH[1]),
        "height": HEIGHT,
    }
    if run.started is not None:
        header["timestamp"] = int(run.started)
    header["duration"] = events[-1][0] if events else 0.0
    header["title"] = f"{run.name} {name}: console (uktrace)"
    header["env"] = {"TERM": "xterm-256color"}
    lines = [json.dumps(header)] + [json.dumps([at, "o", data]) for at, data in events]
    return "\n".join(lines) + "\n"


def output_events(chunks: Iterable[tuple[int, bytes]]) -> Iterator[tuple[float, str]]:
    """(seconds since spawn, text) per chunk that decodes to some text, CRs added before bare LFs."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    after_cr = False
    last_ns = 0
    for since_spawn_ns, data in chunks:
        last_ns = since_spawn_ns
        text = decoder.decode(data)
        if text:
            yield round(since_spawn_ns / 1e9, 6), crlf(text, after_cr)
            after_cr = text.endswith("\r")
    rest = decoder.decode(b"", final=True)
    if rest:  # a truncated character at the very end
        yield round(last_ns / 1e9, 6), rest


def crlf(text: str, after_cr: bool = False) -> str:
    """`\\n` not preceded by `\\r` (`after_cr`: the previous chunk ended with one) as `\\r\\n`."""
    converted = _BARE_LF.sub("\r\n", text)
    return converted[1:] if after_cr and text.startswith("\n") else converted


def _longest_line(text: str) -> int:
    return max((len(_ESCAPE.sub("", line)) for line in text.split("\n")), default=0)
