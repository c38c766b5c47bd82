"""`uktrace` alone: the app that starts on the home screen and opens runs in the usual views.

The home screen says what the user chose in messages (a recording to replay, a command line to
launch); the app opens the run (`RunScreen`, which owns its fleet) above it, in this same process
and event loop, and `h` (or the run's end) stops the run, closes it and comes back home, where the
list is read again so a run just finished is there at once. `q` quits from anywhere, stopping
every guest first, as in any run view.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import SuspendNotSupported
from textual.binding import Binding, BindingType

from uktrace.launch.options import LaunchError
from uktrace.recording.record import RecordingError, recordings_base
from uktrace.recording.replay import ReplayFleet

from .app import REFRESH_HZ, TracerApp
from .launch_line import BenchAsked, LaunchChoice, Launcher, Refused, shell_line
from .screens.home import HomeScreen
from .screens.run import RunScreen


class HomeApp(TracerApp):
    """The home screen, and one run at a time opened from it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # the footer is full at 120 columns: `h` takes the place of ctrl+s there (`?` lists both)
        Binding("ctrl+s", "save_svg", "SVG", show=False),
        Binding("h", "home", "Home"),
    ]

    def __init__(
        self,
        launcher: Launcher,
        base: Path | None = None,
        where: Path | None = None,
        *,
        screenshot_dir: Path | None = None,
        refresh_hz: float = REFRESH_HZ,
    ) -> None:
        super().__init__(screenshot_dir=screenshot_dir, refresh_hz=refresh_hz)
        self.launcher = launcher
        """Makes a run from a command line as `uktrace run` would (the console script's)."""
        self.home = HomeScreen(base or recordings_base(), where or Path.cwd())
        self.cleanup: Callable[[], None] | None = None
        """The open run's clean-up (its shares), owed once it is over: on the way home, or at exit."""
        self.going_home = False

    def on_mount(self) -> None:
        """The home screen (TracerApp's `on_mount` starts the redraw timer)."""
        self.push_screen(self.home)
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
            self.hang_up(self.cleanup)  # the terminal is gone: nothing to restore
        else:
            run = self.run_screen
            if run is not None:
                run.fleet.stop(f"run interrupted by {signal.Signals(signum).name}")
            self.exit(return_code=128 + signum)

    # -- what the home screen asks for -------------------------------------------------------------

    def on_home_screen_replay_chosen(self, event: HomeScreen.ReplayChosen) -> None:
        try:
            fleet = ReplayFleet(event.path, speed=1)
        except RecordingError as error:
            self.notify(str(error), severity="error", timeout=10)
            return
        self.open_run(RunScreen(fleet, f"uktrace replay {event.path}"))

    def on_home_screen_launch_chosen(self, event: HomeScreen.LaunchChosen) -> None:
        """The launch form's answer: start it, or give the form back with the reason in one line."""
        problem = self.launch(event.choice)
        if problem:
            self.home.launch_refused(event.choice, problem)

    def launch(self, choice: LaunchChoice) -> str | None:
        """Check the form's command line as the shell would, then run it here; the problem if not."""
        try:
            argv = choice.argv()
        except LaunchError as error:
            return f"cannot launch: {error}"
        launched = self.launcher(argv)
        if isinstance(launched, Refused):
            return launched.problem
        if isinstance(launched, BenchAsked):
            return self.bench(argv, launched.out)
        line = shell_line(argv)
        self.cleanup = launched.cleanup
        self.open_run(RunScreen(launched.fleet, line, cleanup=launched.cleanup))
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
        if self.run_screen is not None and not self.going_home:
            self.go_home()

    @work(exclusive=True, exit_on_error=False, group="home", name="home")
    async def go_home(self) -> None:
        """Stop the run (every guest, each QEMU terminated then killed), close it, list it."""
        run = self.run_screen
        if run is None:
            return
        self.going_home = True
        try:
            if not run.over:
                await run.stop("run stopped by the user (home)")
            if self.cleanup is not None:
                self.cleanup()
                self.cleanup = None
            while self.screen is not self.home and len(self.screen_stack) > 2:
                self.pop_screen()
            self.title = "uktrace"
            self.home.reload(select=run.fleet.record_dir)
            self.catch_signals()
        finally:
            self.going_home = False

    def on_run_screen_ended(self, event: RunScreen.Ended) -> None:
        """A run that ended by itself (a signal) comes home; a hang-up ends the app as in a run view."""
        if self.quitting:
            return
        if event.interrupted_by == signal.SIGHUP:
            self.hang_up(self.cleanup)
        elif event.interrupted_by is not None:
            self.exit(return_code=128 + event.interrupted_by)
        elif not self.going_home:
            self.go_home()


def run_home(launcher: Launcher, base: Path | None = None) -> int:
    """Show the home screen until the user quits (the `uktrace` console script with no arguments)."""
    app = HomeApp(launcher, base, Path(os.getcwd()))
    try:
        app.run()
    finally:
        if app.cleanup is not None:  # quit during a run: its shares (independent copies) go too
            app.cleanup()
    return app.return_code or 0
