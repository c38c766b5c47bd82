"""What reached uktrace is on disk within a fraction of a second, not when a buffer fills."""

from __future__ import annotations

import time
from pathlib import Path

from uktrace.recording.record import FLUSH_S, GuestRecorder, RecordingWriter


def wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_a_quiet_guests_few_bytes_reach_the_disk_while_it_runs(tmp_path: Path) -> None:
    writer = RecordingWriter()
    recorder = GuestRecorder(tmp_path / "guest-1", writer)
    try:
        recorder.console(b"[    0.000000] Info: one line\n", 1000)  # far less than a write buffer
        console = tmp_path / "guest-1" / "console.raw"
        index = tmp_path / "guest-1" / "chunks.tsv"
        assert wait_for(lambda: console.is_file() and console.stat().st_size == 30, 5 * FLUSH_S)
        assert index.read_text() == "0\t1000\n"
        recorder.console(b"second\n", 2000)
        assert wait_for(lambda: console.read_bytes().endswith(b"second\n"), 5 * FLUSH_S)
        assert index.read_text() == "0\t1000\n30\t2000\n"
    finally:
        recorder.finish({"name": "guest-1"})
        writer.close()
    assert (tmp_path / "guest-1" / "guest.json").is_file()
    assert writer.errors == []
