"""The home screen's launch form as a command line: what the user chose, the `uktrace run` (or
`bench`) argv it means, shown so it can be repeated in a script, and parsed by the very parser
the command line uses, so the form and the shell accept and refuse the same things.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from uktrace.analysis.bench_plan import parse_concurrency
from uktrace.kernel.find import KernelError, find_kernel
from uktrace.launch.options import MAX_GUESTS, LaunchError, check_regex, memory_mib
from uktrace.launch.shares import ShareError, check_share
from uktrace.model.guest import FleetView
from uktrace.recording.record import recordings_base


@dataclass(frozen=True, slots=True)
class LaunchChoice:
    """The form's fields, as typed (text), before any check."""

    mode: str = "run"
    """`run` or `bench`."""
    kernel: str | None = None
    """A kernel file or kraft project directory; None: the built-in test guest."""
    guests: str = "1"
    """`run`: how many guests (`-n`); `bench`: the concurrency list (`--concurrency 1,4`)."""
    jobs: str = ""
    fs: str = ""
    fs_mode: str = ""
    """`shared` or `independent` (run); both, comma-separated, for a bench; empty: the default."""
    accel: str = "tcg"
    memory: str = "64M"
    append: str = ""
    ready: str = ""
    """`--ready REGEX`: the application's ready line (empty: boot ends at main)."""
    timeout: str = "60"
    out: str = ""
    """A bench's `--out`; empty: a new directory in the recordings directory, named by the time."""
    more: str = ""
    """Any other options, as typed on a shell (`--no-gate --cpu max`): room for what the form has no field for."""

    def argv(self) -> list[str]:
        """The arguments after `uktrace`, defaults left out; raises LaunchError for text that is
        not a command line (an unclosed quote in `more`)."""
        argv = [self.mode]
        if self.kernel:
            argv.append(self.kernel)
        guests = self.guests.strip()
        if self.mode == "bench":
            argv += ["--concurrency", guests or "1"]
        elif guests and guests != "1":
            argv += ["-n", guests]
        if self.mode == "run" and self.jobs.strip():
            argv += ["-j", self.jobs.strip()]
        if self.fs.strip():
            argv += ["--fs", self.fs.strip()]
        if self.fs_mode.strip():
            argv += ["--fs-mode", self.fs_mode.strip()]
        if self.accel and self.accel != "tcg":
            argv += ["--accel", self.accel]
        if self.memory.strip() and self.memory.strip() != "64M":
            argv += ["--mem", self.memory.strip()]
        if self.append.strip():
            argv += ["--append", self.append.strip()]
        if self.ready.strip():
            argv += ["--ready", self.ready.strip()]
        if self.timeout.strip() and self.timeout.strip() not in ("60", "60.0"):
            argv += ["--timeout", self.timeout.strip()]
        if self.mode == "bench":
            argv += ["--out", self.out or str(default_bench_out())]
        argv += _words(self.more)
        return argv


def default_bench_out() -> Path:
    """A bench launched from home writes beside the runs, so the home screen lists it too."""
    return recordings_base() / time.strftime("bench-%Y%m%d-%H%M%S")


def shell_line(argv: list[str]) -> str:
    """`uktrace run -n 4 --append 'uktrace.era=0.17'`: ready to paste into a shell."""
    return shlex.join(["uktrace", *argv])


def parse_launch(argv: list[str], parser: argparse.ArgumentParser) -> argparse.Namespace:
    """`argv` through the command line's own parser (`uktrace.cli.main.build_parser()`,
    which the console script hands to the home app); a mistake becomes
    LaunchError with argparse's message instead of an exit."""
    errors = io.StringIO()
    extra: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, extra = argv[:split], argv[split + 1 :]
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            args = parser.parse_args(argv)
    except SystemExit:
        lines = [line for line in errors.getvalue().splitlines() if line.strip()]
        message = lines[-1] if lines else "not a valid command line"
        raise LaunchError(message.split(": error: ", 1)[-1]) from None
    args.extra = tuple(extra)
    return args


def field_problem(name: str, text: str, mode: str = "run") -> str | None:
    """What is wrong with one field of the form as typed, in the words the command line would use;
    None when the shell would take it (`mode`: `run` or `bench`, whose `guests` is a list). An empty
    field means the default, except a bench's concurrency. The whole line is still parsed on launch:
    this only says early, beside the field, what would stop it."""
    text = text.strip()
    if name == "guests" and mode == "bench":
        return _problem(lambda: parse_concurrency(text))
    check = _CHECKS.get(name)
    if check is None or not text:
        return None
    return _problem(lambda: check(text))


def _problem(check: Callable[[], object]) -> str | None:
    try:
        check()
    except (LaunchError, KernelError, ShareError) as error:
        return str(error)
    return None


def _count(option: str, text: str, most: int | None = None) -> int:
    try:
        count = int(text)
    except ValueError:
        raise LaunchError(f"{option} {text}: not a whole number") from None
    if count < 1:
        raise LaunchError(f"{option} must be at least 1")
    if most is not None and count > most:
        raise LaunchError(f"{option} {count}: at most {most:,} guests (each one is a QEMU process)")
    return count


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise LaunchError(f"--timeout {text}: must be a positive number of seconds")
    return seconds


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as error:
        raise LaunchError(f"other options: {error}") from None


_CHECKS: dict[str, Callable[[str], object]] = {
    "kernel": find_kernel,
    "guests": lambda text: _count("-n", text, MAX_GUESTS),
    "jobs": lambda text: _count("-j", text),
    "fs": lambda text: check_share(Path(text)),
    "memory": memory_mib,
    "ready": lambda text: check_regex("--ready", text),
    "timeout": _seconds,
    "more": _words,
}
"""Per field (LaunchChoice's names), what the run would check first, raising its error."""


@dataclass(frozen=True, slots=True)
class RunMade:
    """A launched command line that is a run: its fleet, ready to run, and what to do once it is over."""

    fleet: FleetView
    cleanup: Callable[[], None]
    """Removes the run's shares (independent copies)."""


@dataclass(frozen=True, slots=True)
class BenchAsked:
    """A launched command line that is a bench: it runs as `uktrace bench` itself, on the terminal."""

    out: Path | None
    """The bench's `--out`: where its results will be listed."""


@dataclass(frozen=True, slots=True)
class Refused:
    """A command line that cannot start, and why, in one line."""

    problem: str


Launched = RunMade | BenchAsked | Refused
Launcher = Callable[[list[str]], Launched]
"""The command line (the arguments after `uktrace`) checked and made as the shell would make it:
the console script's (`uktrace.tui.cli.launch`), handed to the home app."""
