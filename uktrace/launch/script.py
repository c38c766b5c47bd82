"""Runs a guest's console script (`--expect/--send`) with pexpect's matcher, on the tracer's bytes.

The tracer must read every console byte itself: it stamps, records, parses and checks their
integrity. A second reader on the console (pexpect's `fdspawn`, or its async `expect`, which reads
the descriptor from the event loop) would take bytes away from the recording, or race the tracer for
them. So pexpect never reads here: `FedSpawn` is a `SpawnBase` whose input is what the fleet already
read, handed over chunk by chunk (`feed`), and `pexpect.expect.Expecter` (what `spawn.expect` runs,
sync or async) searches it with pexpect's own searcher, buffer, `before`/`after` and `match`. Lossless:
the expecter sees a copy of each chunk, in order, and the console keeps the original. Bounded: the
search window is `WINDOW` characters and each chunk is fed in pieces of half that, so a flooding
guest costs a window's search per piece, never the whole console's, and no byte is skipped (a match
longer than half a window across two pieces is the one thing it cannot see: console lines are short).

Waiting (each step's timeout) and typing (the pty the fleet already writes to, `Guest.send`'s path)
stay with the fleet's event loop: pexpect's own `send` sleeps `delaybeforesend` and its `terminate`
sleeps between signals, neither of which belongs on a loop that reads a hundred consoles.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import anyio
from pexpect.expect import Expecter, searcher_re
from pexpect.spawnbase import SpawnBase

from ..model.regex import compile_regex
from ..model.script import Step, StepRun

WINDOW = 8192
"""Characters of console the regex of a waiting step searches at each piece (pexpect's `searchwindowsize`)."""
ENTER = "\r"
"""What a person's Enter key sends: a guest on a raw pty sees exactly this."""


class FedSpawn(SpawnBase):  # type: ignore[misc]  # pexpect has no type hints
    """A pexpect spawn with no process and no descriptor: `feed` gives it the console the fleet
    read; it never reads (`read_nonblocking` is never called: an `Expecter` is fed instead)."""

    def __init__(self) -> None:
        super().__init__(timeout=None, searchwindowsize=WINDOW, encoding="utf-8", codec_errors="replace")

    def read_nonblocking(self, size: int = 1, timeout: float | None = None) -> str:
        raise NotImplementedError("FedSpawn is fed by the tracer; it never reads")

    def decode(self, data: bytes) -> str:
        """Console bytes to text, a UTF-8 sequence split between chunks kept for the next one."""
        text: str = self._decoder.decode(data, final=False)
        return text


class ConsoleScript:
    """One guest's conversation: steps in order, each waiting for its regex, then typing its text."""

    def __init__(self, steps: Sequence[Step], write: Callable[[bytes], None], runs: list[StepRun]) -> None:
        """`write` types into the guest (its pty); `runs` is the model's list (`Guest.script`),
        filled here, one `StepRun` per step, read by the views."""
        self.spawn = FedSpawn()
        self._write = write
        self.runs = runs
        runs[:] = [StepRun(step) for step in steps]
        self._current: int | None = None
        self._expecter: Expecter | None = None
        self._matched = anyio.Event()
        self._ended = False

    def feed(self, data: bytes, now_ns: int) -> None:
        """Console bytes the fleet just read (a copy: the console keeps them all)."""
        text = self.spawn.decode(data)
        if not text:
            return
        expecter = self._expecter
        if expecter is None:  # no step waiting: kept for the next one (`existing_data`)
            self.spawn._before.write(text)
            self.spawn._buffer.write(text)
            self._trim()
            return
        for start in range(0, len(text), WINDOW // 2):
            if expecter.new_data(text[start : start + WINDOW // 2]) is not None:
                self._match(now_ns)
                rest = text[start + WINDOW // 2 :]
                if rest:  # after the match: for the next step, as pexpect keeps its buffer
                    self.spawn._buffer.write(rest)
                    self.spawn._before.write(rest)
                return

    def ended(self) -> None:
        """The console closed: a step still waiting can never match."""
        self._ended = True
        self._matched.set()

    async def run(self, on_timeout: Callable[[int, StepRun], None]) -> None:
        """Every step in order; a step whose regex does not match in time calls `on_timeout` with
        its number (1-based) and run, and the script stops there. Cancelled (the guest ended, was
        stopped or timed out), the step waiting is `stopped`."""
        try:
            await self._run(on_timeout)
        finally:
            for run in self.runs:
                if run.outcome == "waiting":
                    run.outcome = "stopped"
                    run.ended_ns = time.monotonic_ns()
            self._expecter = None

    async def _run(self, on_timeout: Callable[[int, StepRun], None]) -> None:
        for index, run in enumerate(self.runs):
            run.started_ns = time.monotonic_ns()
            if run.step.expect is not None:
                run.outcome = "waiting"
                self._matched = anyio.Event()
                self._start_expecting(run.step.expect)
                if self._ended:  # the console is over: what it printed was searched just now
                    self._matched.set()
                with anyio.move_on_after(run.step.timeout):
                    await self._matched.wait()
                self._expecter = None
                if run.ended_ns is None:
                    run.ended_ns = time.monotonic_ns()
                    run.outcome = "ended" if self._ended else "timeout"
                    if not self._ended:
                        on_timeout(index + 1, run)
                    return
            else:
                run.ended_ns = run.started_ns
                run.outcome = "sent"
            if run.step.send is not None:
                self._write((run.step.send + ENTER).encode())
                if run.step.expect is not None:
                    run.outcome = "matched, sent"

    def _start_expecting(self, pattern: str) -> None:
        self._current = next(i for i, run in enumerate(self.runs) if run.outcome == "waiting")
        # RE2 (linear time: a pattern cannot hang the fleet's loop), `.` across lines as pexpect's own
        searcher = searcher_re([compile_regex(pattern, "expect", dot_all=True)])
        self._expecter = Expecter(self.spawn, searcher, WINDOW)
        if self._expecter.existing_data() is not None:  # already printed before the step began
            self._match(time.monotonic_ns())

    def _match(self, now_ns: int) -> None:
        assert self._current is not None
        run = self.runs[self._current]
        run.ended_ns = now_ns
        run.outcome = "matched"
        after = self.spawn.after
        run.matched = after if isinstance(after, str) else None
        self._expecter = None
        self._matched.set()

    def _trim(self) -> None:
        """Between steps only the last window is kept: what the next step can still find."""
        for name in ("_buffer", "_before"):
            buffer = getattr(self.spawn, name)
            if buffer.tell() > 2 * WINDOW:
                kept = buffer.getvalue()[-WINDOW:]
                fresh = self.spawn.buffer_type()
                fresh.write(kept)
                setattr(self.spawn, name, fresh)
