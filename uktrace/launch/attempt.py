"""One attempt of one guest, from QEMU's start to its end: what its console, stderr and script do.

Every console chunk is stamped (on arrival, or by the node that read it), recorded, checked,
fed to the console script, parsed and given to the guest's timeline; stderr is recorded and
watched for KVM's failures. A relaunch is a new attempt: a new parser, recording and script.
"""

from __future__ import annotations

import signal
import time

import anyio
import anyio.abc

from uktrace.parsers import ConsoleParser

from ..model.guest import Guest
from ..model.script import StepRun
from ..recording.record import GuestRecorder
from .judge import kvm_failure
from .script import ConsoleScript
from .started import StartedGuest, buffered

STDERR_TAIL = 4096
"""Bytes of QEMU's stderr kept in memory (its wording of a failure); the whole of it is on disk."""


class Attempt:
    """One launch of one guest: the parser, the recording and the console script it feeds."""

    def __init__(self, guest: Guest, recorder: GuestRecorder) -> None:
        self.guest = guest
        self.recorder = recorder
        self.parser = ConsoleParser()
        self.script: ConsoleScript | None = None
        """The console script's runner (`--expect/--send`), fed every console chunk."""
        self.finished = anyio.Event()
        """Set once its console says it is over (halted, crashed, failed)."""

    def console(self, data: bytes, stamp: int | None = None) -> None:
        """`stamp`: when another host read the bytes (on this host's clock); else now."""
        guest = self.guest
        now = time.monotonic_ns() if stamp is None else stamp
        guest.last_output_ns = now
        if guest.first_byte_ns is None:
            guest.first_byte_ns = now
            if guest.timeline.release_ns is None and guest.timeline.firmware_ns is None:
                guest.mark_cpu("firmware", now)  # no gate: the first byte ends the VMM's start
        guest.received += len(data)
        guest.watch.feed(data)
        if self.script is not None:
            self.script.feed(data, now)
        assert guest.spawn_ns is not None
        self.recorder.console(data, now - guest.spawn_ns)
        records = self.parser.feed(data, now)
        consume = guest.timeline.consume
        for record in records:
            consume(record)
        guest.records.extend(records)
        guest.changes += 1
        current = guest.timeline.current
        if current is not None and (not guest.cpu_marks or guest.cpu_marks[-1].phase != current):
            guest.mark_cpu(current, now)
        if guest.timeline.status.finished:
            self.finished.set()

    def stderr(self, process: StartedGuest, data: bytes) -> None:
        guest = self.guest
        self.recorder.stderr(data)
        guest.stderr_tail += data
        del guest.stderr_tail[:-STDERR_TAIL]
        if (failure := kvm_failure(data, guest.stderr_tail)) is not None:
            guest.timeline.fail(*failure)
            process.signal(signal.SIGTERM)
        guest.changes += 1

    def drain(self, process: StartedGuest) -> None:
        """Once QEMU is over: what is still buffered in the console and stderr, and the parser's last line."""
        for data in buffered(process.console_read_nowait):
            self.console(data, process.stamp_ns)
        for data in buffered(process.stderr_read_nowait):
            self.stderr(process, data)
        for record in self.parser.flush():
            self.guest.timeline.consume(record)
            self.guest.records.append(record)

    async def read_stderr(self, process: StartedGuest) -> None:
        while data := await process.read_stderr():
            self.stderr(process, data)
        await anyio.sleep_forever()  # keep the group open until the console ends

    async def end_lingering(self, process: StartedGuest, grace_s: float) -> None:
        """Stop a QEMU that outlives its guest: Unikraft halts with an ACPI power-off and, when the
        machine has none, spins in `hlt`; waiting for the timeout would add a minute per guest."""
        await self.finished.wait()
        await anyio.sleep(grace_s)
        if process.poll() is None:
            self.guest.lingered = True
            process.signal(signal.SIGTERM)
        await anyio.sleep_forever()

    def start_script(self, process: StartedGuest, group: anyio.abc.TaskGroup) -> None:
        """The guest's console script, in its task group: it ends with the guest."""
        guest = self.guest
        script = self.script = ConsoleScript(guest.spec.script, process.write, guest.script)

        def timed_out(number: int, run: StepRun) -> None:
            guest.timeline.fail(f"script step {number} ({run.step.describe()}): no match in {run.step.timeout:g} s")
            guest.changes += 1
            process.signal(signal.SIGTERM)

        group.start_soon(script.run, timed_out)
