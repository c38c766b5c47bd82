"""The uktrace app: runs the fleet in a worker, redraws from one timer, routes between views.

The engine fills a plain model (`FleetView`); nothing is pushed per console line. The app's
timer (15 Hz, slower while the tracer's CPU is over budget: `uktrace.tui.pace`) reads the injected clock
once and hands the time to the screen in view, which repaints only what moved. Quitting stops
every guest through the engine and waits for the run to end before the app exits, so no QEMU
outlives the TUI. Errors from the engine or from a
redraw are shown in the UI (a notification and the header), never as a crash of the app.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from uktrace.model.guest import FleetView

from . import playback
from .collector import CollectorPace
from .pace import RedrawPace
from .screens import LiveScreen
from .screens.blame import BlameScreen
from .screens.fleet import FleetScreen
from .screens.guest import GuestScreen
from .screens.help import HelpScreen
from .screens.summary import SummaryScreen
from .screenshot import save_svg, screenshot_dirs

REFRESH_HZ = 15


class UktraceApp(App[None]):
    """A live (or replayed) fleet of guests: fleet, guest, summary and blame views."""

    TITLE = "uktrace"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    """Absolute, so a subclass elsewhere (a benchmark, a test) finds it too."""
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        # Textual's own Ctrl-C only says "press ctrl+q to quit": here it stops every guest, as at a shell
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("ctrl+s", "save_svg", "SVG"),
        Binding("1", "view('fleet')", "Fleet", show=False),
        Binding("2", "view('summary')", "Summary", show=False),
        Binding("3", "view('blame')", "Blame", show=False),
        *playback.BINDINGS,
    ]

    def __init__(
        self,
        fleet: FleetView,
        *,
        title: str = "uktrace",
        clock: Callable[[], int] | None = None,
        screenshot_dir: Path | None = None,
        refresh_hz: float = REFRESH_HZ,
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.fleet = fleet
        self.title = title
        self.clock: Callable[[], int] = clock or fleet.clock
        """Host nanoseconds for every view; a test passes a fixed one."""
        self.screenshot_dir = screenshot_dir
        """Where ctrl+s saves; None: the run's recording (tests and scripts choose their own)."""
        self.refresh_hz = refresh_hz
        self.cleanup = cleanup
        """What the caller does after the app (removing shares): run here if the terminal goes away."""
        self.pace = RedrawPace(ceiling_hz=refresh_hz, floor_hz=min(refresh_hz, RedrawPace.floor_hz))
        """The redraw rate: `refresh_hz` unless the event loop's CPU is over its budget."""
        self.collector = CollectorPace()
        """Full garbage collections held off while consoles stream (`uktrace.tui.collector`)."""
        self._changes_seen = 0
        """The guests' summed change counters at the last redraw: whether anything came since."""
        self.fleet_worker: Worker[None] | None = None
        self.quitting = False
        self.errors: list[str] = []
        """Every error shown to the user, oldest first (tests and the exit path read it)."""

    def on_mount(self) -> None:
        """The fleet view, the run, the redraw timer; then `gc.freeze`.

        Python's full garbage collection walks every tracked object and stops the event loop
        meanwhile: with Textual, the screens and the fleet loaded, tens of milliseconds, felt as a
        stutter. What is alive once the first frame is drawn lives as long as the app, so it is
        moved out of the collector's sight until the app ends (`gc.unfreeze` on unmount)."""
        self.push_screen(FleetScreen(self.fleet, self.clock, self.title))
        self.fleet_worker = self.run_fleet()
        self.set_timer(self.pace.interval_s, self._redraw, name="redraw")
        self.call_after_refresh(gc.freeze)

    # -- the run -----------------------------------------------------------------------------------

    @work(exclusive=True, exit_on_error=False, group="fleet", name="fleet")
    async def run_fleet(self) -> None:
        """The whole run; returns only after `fleet.stop()` (or a signal ended it)."""
        await self.fleet.run(keep_alive=True)

    @work(exclusive=True, exit_on_error=False, group="quit", name="quit")
    async def shutdown(self) -> None:
        """Stop every guest, wait until the run is over (each QEMU terminated, then killed), exit."""
        self.quitting = True
        self._notice("stopping every guest…")
        self.fleet.stop()
        if self.fleet_worker is not None:
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                await self.fleet_worker.wait()
        self.exit()

    async def on_unmount(self) -> None:
        """However the app ends (an uncaught error, a signal), the run ends first: no QEMU outlives it."""
        worker = self.fleet_worker
        if worker is not None and not worker.is_finished:
            self.fleet.stop("run ended with the TUI")
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                await worker.wait()
        self.collector.release()
        gc.unfreeze()

    async def action_quit(self) -> None:
        if not self.quitting:
            self.shutdown()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker's end: errors are shown, an engine that stopped by itself ends the app."""
        worker = event.worker
        if event.state is WorkerState.ERROR:
            self.report(f"{worker.name} failed: {worker.error!r}")
            if worker.name == "quit":
                self.exit()
        elif event.state is WorkerState.SUCCESS and worker is self.fleet_worker and not self.quitting:
            # the run ended without `q`: SIGTERM/SIGHUP to uktrace, the engine cancelled itself
            if self.fleet.interrupted_by == signal.SIGHUP:
                self.hang_up()
            self.exit()

    def hang_up(self) -> None:
        """The terminal is gone (SIGHUP) and the run is over: every guest stopped, the recording
        flushed and closed. Textual would now wait forever to restore a terminal nobody can read
        (its writer thread died on the first write after the hang-up), so the process ends here,
        after the caller's clean-up, with the status a hang-up gives."""
        if self.cleanup is not None:
            with contextlib.suppress(Exception):
                self.cleanup()
        os._exit(128 + signal.SIGHUP)

    def report(self, message: str) -> None:
        """The one place errors go: a notification, the header, and `errors`."""
        if message in self.errors:
            return
        self.errors.append(message)
        self.notify(message, severity="error", timeout=10)
        self._notice(message)

    def _notice(self, message: str) -> None:
        kept = [self.get_screen(name) for name in ("summary", "blame") if self.is_screen_installed(name)]
        for screen in dict.fromkeys([*self.screen_stack, *kept]):  # the views kept aside too
            if isinstance(screen, FleetScreen | SummaryScreen | BlameScreen) and screen.is_mounted:
                for header in screen.query("FleetHeader"):
                    header.set_notice(message)  # type: ignore[attr-defined]

    # -- drawing -----------------------------------------------------------------------------------

    def _redraw(self) -> None:
        """The redraw timer: draw, then schedule the next one at the pace the CPU budget allows."""
        try:
            self.tick()
        finally:
            now = time.monotonic_ns()
            changes = sum(guest.changes for guest in self.fleet.guests)
            self.collector.update(now, busy=changes != self._changes_seen)
            self._changes_seen = changes
            self.pace.update(now, time.thread_time_ns())
            self.set_timer(self.pace.interval_s, self._redraw, name="redraw")

    def tick(self) -> None:
        """Hand the time to the screen in view (and to the one under a modal, still visible)."""
        now = self.clock()
        errors = self.fleet.recording_errors
        if errors:  # the run goes on from memory; the user must know the disk copy is not whole
            self.report(f"recording incomplete: {errors[0]}")
        for screen in reversed(self.screen_stack):
            try:
                if isinstance(screen, LiveScreen):
                    screen.tick(now)
            except Exception as error:  # a redraw must never take the run (and its QEMUs) down
                self.report(f"redraw failed: {error!r}")
            if not isinstance(screen, ModalScreen):
                break

    # -- routing -----------------------------------------------------------------------------------

    def action_view(self, name: str) -> None:
        """`fleet`, `summary` or `blame`: the fleet stays at the bottom of the stack, one view above it."""
        while len(self.screen_stack) > 2 and not isinstance(self.screen, FleetScreen):
            self.pop_screen()
        if name not in ("summary", "blame"):
            return
        # made once and kept (installed): building a screen and styling its widgets again on each
        # switch cost ~100 ms of the event loop during a 100-guest boot storm
        if not self.is_screen_installed(name):
            view = SummaryScreen if name == "summary" else BlameScreen
            self.install_screen(view(self.fleet, self.clock, self.title), name)
        screen = self.get_screen(name)
        if isinstance(screen, LiveScreen) and screen.is_mounted:
            screen.shown(self.clock())
        self.push_screen(name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The replay keys exist for a recording only (False: neither shown nor active)."""
        return action != "replay" or playback.available(self.fleet)

    def action_replay(self, name: str) -> None:
        """A replay key (`playback`); in a guest's view, a step follows that guest."""
        guest = self.screen.guest if isinstance(self.screen, GuestScreen) else None
        playback.command(self, self.fleet, name, guest)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_save_svg(self) -> Path | None:
        """An SVG of the screen into the run's recording (tui/screenshot.py says where and why);
        the toast gives the full path."""
        view = self.screen.name or "view"
        name = f"uktrace-{view}-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 1000:03d}.svg"
        path, problems = save_svg(self.export_screenshot(), name, screenshot_dirs(self.fleet, self.screenshot_dir))
        if path is None:
            self.report(f"screenshot not saved: {'; '.join(problems)}")
            return None
        self.notify(f"screenshot saved to {path}", timeout=10)
        return path
