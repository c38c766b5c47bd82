"""One run, live or replayed: the fleet view at the bottom of the run's views, owning the fleet.

It runs the fleet on a worker from the moment it is shown, and the run ends with it: `stop` (the
app's `q`, the home's `h`) stops every guest and waits until each QEMU is gone, and a run screen
that goes away for any other reason (the app failing, the terminal gone) does the same first. The
app hears of the run in messages: `Ended` when the run ended by itself (a signal to uktrace),
`Failed` when the engine raised.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from textual import work
from textual.message import Message
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from uktrace.model.guest import FleetView

from .fleet import FleetScreen


class RunScreen(FleetScreen):
    """The fleet view of a run, and the run itself."""

    class Ended(Message):
        """The run ended without being stopped from the TUI: a signal to uktrace cancelled the engine."""

        def __init__(self, run: RunScreen) -> None:
            super().__init__()
            self.run = run

        @property
        def interrupted_by(self) -> int | None:
            """The signal that ended the run (SIGHUP: the terminal is gone)."""
            return self.run.fleet.interrupted_by

    class Failed(Message):
        """The engine raised: the run's guests may still be up; the app shows why."""

        def __init__(self, run: RunScreen, problem: str) -> None:
            super().__init__()
            self.run = run
            self.problem = problem

    def __init__(
        self,
        fleet: FleetView,
        title: str,
        clock: Callable[[], int] | None = None,
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(fleet, clock or fleet.clock, title)
        self.cleanup = cleanup
        """What the caller does once the run is over (removing its shares); the app runs it when it
        ends the process itself (a hang-up) or, at home, when it leaves the run."""
        self.worker: Worker[None] | None = None
        self.stopping = False
        """Stopped from the TUI: its end is expected, no `Ended`."""

    def on_mount(self) -> None:
        """The run starts with its view (FleetScreen's own `on_mount` draws the first frame)."""
        self.worker = self.run_fleet()
        self.say_observer_effect()

    @work(thread=True, exit_on_error=False, group="observer")
    def say_observer_effect(self) -> None:
        """What the host's observer check found uktrace itself changes at this many guests (this
        host's, or a replay's as recorded), in the header when it moved a figure; that it is not
        known, for a live run of more guests than CPUs no check measured (a thread: finding the
        host's key asks QEMU its version)."""
        from uktrace.analysis.observer_effect import effect_sentence, moved, run_effect, unmeasured_sentence
        from uktrace.launch.tracer_usage import host_cpus  # (both off the start-up path)

        effect = run_effect(self.fleet)
        if effect is not None and moved(effect):
            sentence = effect_sentence(effect, brief=True, recorded=not self.fleet.live)
            self.app.call_from_thread(self.header.set_notice, sentence)
        elif effect is None and (unknown := unmeasured_sentence(self.fleet, host_cpus())) is not None:
            self.app.call_from_thread(self.header.set_notice, unknown)  # as the headless footer says it

    @work(exclusive=True, exit_on_error=False, group="fleet", name="fleet")
    async def run_fleet(self) -> None:
        """The whole run; returns only after `fleet.stop()` (or a signal ended it)."""
        await self.fleet.run(keep_alive=True)

    async def stop(self, reason: str | None = None) -> None:
        """Stop every guest and wait until the run is over (each QEMU terminated, then killed)."""
        self.stopping = True
        if reason is None:
            self.fleet.stop()
        else:
            self.fleet.stop(reason)
        await self._finished()

    @property
    def over(self) -> bool:
        return self.worker is not None and self.worker.is_finished

    async def _finished(self) -> None:
        worker = self.worker
        if worker is not None:
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                await worker.wait()

    async def on_unmount(self) -> None:
        """However the view goes (an uncaught error, a signal), the run ends first: no QEMU
        outlives it. (Textual cancels the screen's workers after this handler.)"""
        worker = self.worker
        if worker is not None and not worker.is_finished:
            self.stopping = True
            self.fleet.stop("run ended with the TUI")
            await self._finished()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.worker:
            return
        if event.state is WorkerState.ERROR:
            self.post_message(self.Failed(self, f"{event.worker.name} failed: {event.worker.error!r}"))
        elif event.state is WorkerState.SUCCESS and not self.stopping:
            self.post_message(self.Ended(self))
