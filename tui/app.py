"""The uktrace apps: the views of a run, the redraw timer, the one place errors go, and routing.

A run is a screen that owns its fleet (`screens.run.RunScreen`); the apps route between it, the
views above it (guest, summary, blame) and, for `uktrace` alone, the home screen
(`uktrace.tui.home_app`). The engine fills a plain model (`FleetView`); nothing is pushed per
console line. The app's timer (15 Hz, slower while the tracer's CPU is over budget:
`uktrace.tui.pace`) reads the run's clock once and hands the time to the screen in view, which
repaints only what moved. Quitting stops every guest through the engine and waits for the run to
end before the app exits, so no QEMU outlives the TUI. Errors from the engine or from a redraw are
shown in the UI (a notification and the header), never as a crash of the app.
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
from textual.worker import Worker, WorkerState

from uktrace.model.guest import FleetView

from . import playback
from .collector import CollectorPace
from .pace import RedrawPace, tracer_budget
from .screens import LiveScreen
from .screens.blame import BlameScreen
from .screens.fleet import FleetScreen
from .screens.guest import GuestScreen
from .screens.help import HelpScreen
from .screens.run import RunScreen
from .screens.summary import SummaryScreen
from .screenshot import save_svg, screenshot_dirs
from .widgets.header import FleetHeader

REFRESH_HZ = 15
HOME = "home"
"""What a run app returns when `h` ended it: the console script opens the home screen next."""
RUN_KEYS = ("view", "replay", "save_svg", "home")
"""The actions that need a run open (False in `check_action` otherwise: neither shown nor active)."""


class TracerApp(App[str]):
    """What every uktrace app has: the run views' keys and routing, the redraw timer, quitting,
    and the one place errors go. The run itself is a screen's (`RunScreen`), not the app's."""

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
        self, *, title: str = "uktrace", screenshot_dir: Path | None = None, refresh_hz: float = REFRESH_HZ
    ) -> None:
        super().__init__()
        self.title = title
        self.screenshot_dir = screenshot_dir
        """Where ctrl+s saves; None: the run's recording (tests and scripts choose their own)."""
        self.refresh_hz = refresh_hz
        self.pace = RedrawPace(
            ceiling_hz=refresh_hz, floor_hz=min(refresh_hz, RedrawPace.floor_hz), budget=tracer_budget()
        )
        """The redraw rate: `refresh_hz` unless the event loop's CPU is over uktrace's share goal."""
        self.collector = CollectorPace()
        """Full garbage collections held off while consoles stream (`uktrace.tui.collector`)."""
        self._changes_seen = 0
        """The guests' summed change counters at the last redraw: whether anything came since."""
        self.quitting = False
        self.errors: list[str] = []
        """Every error shown to the user, oldest first (tests and the exit path read it)."""

    @property
    def run_screen(self) -> RunScreen | None:
        """The run open (the bottom of its views), if any."""
        return next((screen for screen in self.screen_stack if isinstance(screen, RunScreen)), None)

    def on_mount(self) -> None:
        """The redraw timer; then `gc.freeze`.

        Python's full garbage collection walks every tracked object and stops the event loop
        meanwhile: with Textual, the screens and the fleet loaded, tens of milliseconds, felt as a
        stutter. What is alive once the first frame is drawn lives as long as the app, so it is
        moved out of the collector's sight until the app ends (`gc.unfreeze` on unmount)."""
        self.set_timer(self.pace.interval_s, self._redraw, name="redraw")
        self.call_after_refresh(gc.freeze)

    def open_run(self, run: RunScreen) -> None:
        """Show `run` above what is on screen; it starts as it is shown."""
        self.title = run.run_title
        self.errors = []
        self.pace.restart(booting=run.fleet.live)
        for name in ("summary", "blame"):  # made for a previous run
            if self.is_screen_installed(name):
                self.uninstall_screen(name)
        self.push_screen(run)

    # -- ending ------------------------------------------------------------------------------------

    @work(exclusive=True, exit_on_error=False, group="quit", name="quit")
    async def shutdown(self, result: str | None = None) -> None:
        """Stop every guest, wait until the run is over (each QEMU terminated, then killed), exit."""
        self.quitting = True
        self._notice("stopping every guest…")
        run = self.run_screen
        if run is not None:
            await run.stop()
        self.exit(result)

    async def on_unmount(self) -> None:
        self.collector.release()
        gc.unfreeze()

    async def action_quit(self) -> None:
        if not self.quitting:
            self.shutdown()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers (quitting, going home): a failure is shown; a failed quit still quits."""
        if event.state is WorkerState.ERROR:
            self.report(f"{event.worker.name} failed: {event.worker.error!r}")
            if event.worker.name == "quit":
                self.exit()

    def on_run_screen_failed(self, event: RunScreen.Failed) -> None:
        self.report(event.problem)

    def hang_up(self, cleanup: Callable[[], None] | None) -> None:
        """The terminal is gone (SIGHUP) and the run is over: every guest stopped, the recording
        flushed and closed. Textual would now wait forever to restore a terminal nobody can read
        (its writer thread died on the first write after the hang-up), so the process ends here,
        after the caller's clean-up, with the status a hang-up gives."""
        if cleanup is not None:
            with contextlib.suppress(Exception):
                cleanup()
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
                for header in screen.query(FleetHeader):
                    header.set_notice(message)

    # -- drawing -----------------------------------------------------------------------------------

    def _redraw(self) -> None:
        """The redraw timer: draw, then schedule the next one at the pace the CPU budget allows."""
        try:
            self.tick()
        finally:
            now = time.monotonic_ns()
            run = self.run_screen
            changes = 0 if run is None else sum(guest.changes for guest in run.fleet.guests)
            self.collector.update(now, busy=changes != self._changes_seen)
            self._changes_seen = changes
            self.pace.update(now, time.thread_time_ns())
            self.set_timer(self.pace.interval_s, self._redraw, name="redraw")

    def tick(self) -> None:
        """Hand the time to the screen in view (and to the one under a modal, still visible)."""
        run = self.run_screen
        if run is None:
            return
        now = run.clock()
        errors = run.fleet.recording_errors
        if errors:  # the run goes on from memory; the user must know the disk copy is not whole
            self.report(f"recording incomplete: {errors[0]}")
        for screen in reversed(self.screen_stack):
            try:
                # a screen just pushed is not composed until it is mounted: it draws itself then
                if isinstance(screen, LiveScreen) and screen.is_mounted:
                    screen.tick(now)
            except Exception as error:  # a redraw must never take the run (and its QEMUs) down
                self.report(f"redraw failed: {error!r}")
            if not isinstance(screen, ModalScreen):
                break

    # -- routing -----------------------------------------------------------------------------------

    def action_view(self, name: str) -> None:
        """`fleet`, `summary` or `blame`: the run's fleet view below, one view above it."""
        run = self.run_screen
        if run is None:
            return
        while self.screen is not run:
            self.pop_screen()
        if name not in ("summary", "blame"):
            return
        # made once and kept (installed): building a screen and styling its widgets again on each
        # switch cost ~100 ms of the event loop during a 100-guest boot storm
        if not self.is_screen_installed(name):
            view = SummaryScreen if name == "summary" else BlameScreen
            self.install_screen(view(run.fleet, run.clock, run.run_title), name)
        screen = self.get_screen(name)
        if isinstance(screen, LiveScreen) and screen.is_mounted:
            screen.shown(run.clock())
        self.push_screen(name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The run views' keys need a run, the replay keys a recording (False: neither shown nor active)."""
        run = self.run_screen
        if action in RUN_KEYS and run is None:
            return False
        return action != "replay" or (run is not None and playback.available(run.fleet))

    def action_replay(self, name: str) -> None:
        """A replay key (`playback`); in a guest's view, a step follows that guest."""
        run = self.run_screen
        if run is None:
            return
        guest = self.screen.guest if isinstance(self.screen, GuestScreen) else None
        playback.command(self, run.fleet, name, guest)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_save_svg(self) -> Path | None:
        """An SVG of the screen into the run's recording (tui/screenshot.py says where and why);
        the toast gives the full path."""
        run = self.run_screen
        if run is None:
            return None
        view = self.screen.name or "view"
        name = f"uktrace-{view}-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 1000:03d}.svg"
        path, problems = save_svg(self.export_screenshot(), name, screenshot_dirs(run.fleet, self.screenshot_dir))
        if path is None:
            self.report(f"screenshot not saved: {'; '.join(problems)}")
            return None
        self.notify(f"screenshot saved to {path}", timeout=10)
        return path


class UktraceApp(TracerApp):
    """One run, live or replayed, in its views; the app ends with the run."""

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
        super().__init__(title=title, screenshot_dir=screenshot_dir, refresh_hz=refresh_hz)
        self.run_view = RunScreen(fleet, title, clock, cleanup)
        """The run shown (a test injects a fixed clock into it)."""

    @property
    def fleet(self) -> FleetView:
        return self.run_view.fleet

    def on_mount(self) -> None:
        """The run and its fleet view (TracerApp's `on_mount` starts the redraw timer)."""
        self.open_run(self.run_view)

    def on_run_screen_ended(self, event: RunScreen.Ended) -> None:
        """The run ended without `q` (SIGTERM/SIGHUP to uktrace, the engine cancelled itself): so does the app."""
        if event.interrupted_by == signal.SIGHUP:
            self.hang_up(event.run.cleanup)
        self.exit()
