"""`uktrace` alone: the app that starts on the home screen and opens runs in the usual views.

The run views (fleet, guest, summary, blame, replay keys) are `UktraceApp`'s, unchanged: this
subclass starts with no run, opens one on top of the home screen (a replay, or a run launched
from the form, in this same process and event loop), and `h` (or the run's end) closes it and
comes back home, where the list is read again so a run just finished is there at once. `q`
quits from anywhere, stopping every guest first, as in any run view.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import events, work
from textual.app import SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from uktrace.cli.launch_line import LaunchChoice, parse_launch, shell_line
from uktrace.cli.main import build_parser
from uktrace.cli.run import USER_ERRORS, Interrupted, make_fleet
from uktrace.launch.options import LaunchError
from uktrace.model.guest import FleetView, Guest
from uktrace.recording.record import RecordingError, recordings_base
from uktrace.recording.replay import ReplayFleet

from .app import UktraceApp
from .screens.home import HomeScreen


class NoRun:
    """The fleet while the home screen is all there is: no guests, nothing to run or stop."""

    def __init__(self) -> None:
        self.guests: list[Guest] = []
        self.jobs = 0
        self.record_dir = Path()
        self.fs_mode: str | None = None
        self.started_ns: int | None = None
        self.finished_ns: int | None = None
        self.interrupted_by: int | None = None
        self.recording_errors: list[str] = []

    def clock(self) -> int:
        return time.monotonic_ns()

    def counts(self) -> dict[str, int]:
        return {}

    def spawn_spread(self) -> float | None:
        return None

    def stop(self, reason: str = "") -> None:
        return None

    def stop_guest(self, guest: Guest) -> None:
        return None

    def relaunch(self, guest: Guest) -> bool:
        return False

    async def run(self, keep_alive: bool = False) -> None:
        return None


NO_RUN = NoRun()


class HomeApp(UktraceApp):
    """The home screen, and one run at a time opened from it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # the footer is full at 120 columns: `h` takes the place of ctrl+s there (`?` lists both)
        Binding("ctrl+s", "save_svg", "SVG", show=False),
        Binding("h", "home", "Home"),
    ]

    def __init__(self, base: Path | None = None, where: Path | None = None, **kwargs: object) -> None:
        super().__init__(NO_RUN, title="uktrace", **kwargs)  # type: ignore[arg-type]
        self.base = base or recordings_base()
        self.where = where or Path.cwd()
        self.going_home = False

    @property
    def in_run(self) -> bool:
        return self.fleet is not NO_RUN

    @property
    def home(self) -> HomeScreen:
        return next(s for s in self.screen_stack if isinstance(s, HomeScreen))

    def on_mount(self, event: events.Mount) -> None:  # type: ignore[override]
        """The home screen and the redraw timer; the run starts only when one is opened (Textual
        calls every class's handler: `prevent_default` keeps UktraceApp's, which runs its fleet)."""
        event.prevent_default()
        self.push_screen(HomeScreen(self.base, self.where))
        self.set_timer(self.pace.interval_s, self._redraw, name="redraw")
        self.catch_signals()

    def catch_signals(self) -> None:
        """SIGTERM and SIGHUP at home end the app as they end a run: cleanly, with 128 + the signal
        (Python's default would leave the terminal in the app's mode). While a run is open its
        fleet takes them (and gives them back to the default when it ends: `go_home` calls this again)."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, self.signalled, signum)

    def signalled(self, signum: int) -> None:
        if signum == signal.SIGHUP:
            self.hang_up()  # the terminal is gone: nothing to restore
        else:
            self.fleet.stop(f"run interrupted by {signal.Signals(signum).name}")
            self.exit(return_code=128 + signum)

    def tick(self) -> None:
        if self.in_run:
            super().tick()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """At home, the run views' keys (1 2 3, the replay keys, ctrl+s, h) do nothing and are not shown."""
        if not self.in_run and action in ("view", "replay", "save_svg", "home"):
            return False
        return super().check_action(action, parameters)

    # -- opening a run -----------------------------------------------------------------------------

    def open_fleet(self, fleet: FleetView, title: str, cleanup: Callable[[], None] | None = None) -> None:
        """Show `fleet` in the fleet view, above the home screen, and run it."""
        from .screens.fleet import FleetScreen

        self.fleet = fleet
        self.clock = fleet.clock
        self.title = title
        self.cleanup = cleanup
        self.errors = []
        for name in ("summary", "blame"):  # made for the previous run
            if self.is_screen_installed(name):
                self.uninstall_screen(name)
        self.push_screen(FleetScreen(fleet, self.clock, title))
        self.fleet_worker = self.run_fleet()

    def open_replay(self, path: Path) -> None:
        try:
            fleet = ReplayFleet(path, speed=1)
        except RecordingError as error:
            self.notify(str(error), severity="error", timeout=10)
            return
        self.open_fleet(fleet, f"uktrace replay {path}")

    def launch_chosen(self, choice: LaunchChoice | None) -> None:
        """The launch form's answer: start it, or say in one line why it cannot start."""
        if choice is not None:
            problem = self.launch(choice)
            if problem:  # the form again, as the user left it, with the reason
                from .screens.launch_form import LaunchForm

                self.push_screen(LaunchForm(self.home.kernels or [], choice, problem), self.launch_chosen)

    def launch(self, choice: LaunchChoice) -> str | None:
        """Check the form's command line as the shell would, then run it here; the problem if not."""
        try:
            argv = choice.argv()
            args = parse_launch(argv, build_parser())
            if args.command == "bench":
                return self.bench(argv, args.out)
            fleet, shares = make_fleet(args, command=["uktrace", *argv])
        except LaunchError as error:
            return f"cannot launch: {error}"
        except USER_ERRORS as error:
            return f"uktrace run: {error}"
        except Interrupted as interrupted:
            return f"uktrace run: interrupted by {interrupted} before the run started"
        line = shell_line(argv)
        self.open_fleet(fleet, line, shares.cleanup)
        self.notify(f"the same from a shell: {line}", timeout=8)
        return None

    def bench(self, argv: list[str], out: Path | None) -> str | None:
        """A bench runs as `uktrace bench` itself on the terminal, the home screen suspended: its
        cells in the same views, then its findings, which stay until a key is pressed; then home,
        the bench listed (its --out is in the recordings directory)."""
        line = shell_line(argv)
        command = [sys.executable, "-m", "uktrace.tui", *argv]
        prompt = "\n[uktrace bench ended: press enter to go back home] "
        try:
            with self.suspend():
                status = subprocess.call(command)
                with contextlib.suppress(EOFError, OSError):
                    input(prompt)
        except SuspendNotSupported:
            return f"a bench needs a terminal to run in: {line}"
        self.home.reload(select=out)
        if status:
            self.notify(f"{line} ended with status {status}", severity="warning", timeout=10)
        return None

    # -- back home ---------------------------------------------------------------------------------

    def action_home(self) -> None:
        if self.in_run and not self.going_home:
            self.go_home()

    @work(exclusive=True, exit_on_error=False, group="home", name="home")
    async def go_home(self) -> None:
        """Stop the run (every guest, each QEMU terminated then killed), close it, list it."""
        self.going_home = True
        try:
            fleet, worker = self.fleet, self.fleet_worker
            if worker is not None and not worker.is_finished:
                fleet.stop("run stopped by the user (home)")
                with contextlib.suppress(WorkerFailed, WorkerCancelled):
                    await worker.wait()
            if self.cleanup is not None:
                self.cleanup()
            while not isinstance(self.screen, HomeScreen) and len(self.screen_stack) > 2:
                self.pop_screen()
            self.fleet, self.fleet_worker, self.cleanup = NO_RUN, None, None
            self.clock, self.title = NO_RUN.clock, "uktrace"
            self.home.reload(select=fleet.record_dir)
            self.catch_signals()
        finally:
            self.going_home = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A run that ended by itself (a signal) comes home; a hang-up ends the app as in a run view."""
        event.prevent_default()  # UktraceApp's handler would end the app with the run: called below for the rest
        worker = event.worker
        if worker.name == "fleet" and event.state is WorkerState.SUCCESS:
            if worker is self.fleet_worker and not self.quitting:
                if self.fleet.interrupted_by == signal.SIGHUP:
                    self.hang_up()
                elif self.fleet.interrupted_by is not None:
                    self.exit(return_code=128 + self.fleet.interrupted_by)
                elif not self.going_home:
                    self.go_home()
            return
        super().on_worker_state_changed(event)


def run_home(base: Path | None = None) -> int:
    """Show the home screen until the user quits (the `uktrace` console script with no arguments)."""
    app = HomeApp(base, Path(os.getcwd()))
    try:
        app.run()
    finally:
        if app.cleanup is not None:  # quit during a run: its shares (independent copies) go too
            app.cleanup()
    return app.return_code or 0
