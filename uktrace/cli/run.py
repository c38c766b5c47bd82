"""`uktrace run` without the TUI: check, launch, show progress, print tables or JSON."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
from rich.console import Console

from ..analysis.results import failed_guests, fleet_results
from ..kernel.find import KernelError
from ..launch.accel import AccelError
from ..launch.cluster.address import ClusterError
from ..launch.fleet import Fleet
from ..launch.options import LaunchError, RunOptions, prepare
from ..launch.shares import ShareError, Shares
from ..model.guest import FleetView
from ..model.script import STEP_TIMEOUT_S, ScriptError, Step, parse_script, steps_from_options
from ..model.text import markup
from ..recording.record import RecordingError, default_recording, start_session
from ..recording.replay import ReplayFleet
from .cluster import close_launcher, launcher_for, remote
from .headless import live_progress, run_footer, summary_tables
from .output import Output

USER_ERRORS = (LaunchError, KernelError, AccelError, ShareError, RecordingError, ClusterError)


def guest_options(args: argparse.Namespace) -> dict[str, Any]:
    """The `RunOptions` fields of `add_guest_options` (shared by run, demo and bench), and
    `--fs-rw`, which each of them defines beside its `--fs`."""
    return {
        "kernel": args.kernel,
        "accel": args.accel,
        "cpu": args.cpu,
        "memory": args.mem,
        "append": args.append,
        "qemu": args.qemu,
        "machine": args.machine,
        "timeout": args.timeout,
        "command": args.cmd,
        "extra": args.extra,
        "fs_writable": args.fs_rw,
        "virtiofsd": args.virtiofsd,
        "ready": args.ready,
        "script": script_steps(args),
        "tty": getattr(args, "tty", False),
    }


def script_steps(args: argparse.Namespace) -> tuple[Step, ...]:
    """`--script FILE`, or `--expect`/`--send` in order, each step with `--step-timeout`; raises
    LaunchError for a script that cannot run."""
    timeout = getattr(args, "step_timeout", STEP_TIMEOUT_S)
    conversation = getattr(args, "conversation", None) or []
    script: Path | None = getattr(args, "script", None)
    if not (math.isfinite(timeout) and timeout > 0):
        raise LaunchError(f"--step-timeout {timeout:g}: must be a positive number of seconds")
    try:
        if script is not None:
            if conversation:
                raise LaunchError("--script or --expect/--send, not both: put the steps in the file")
            try:
                text = script.read_text(encoding="utf-8", errors="replace")
            except OSError as error:
                raise LaunchError(f"--script {script}: cannot read ({error.strerror or error})") from None
            return parse_script(text, str(script), timeout)
        return steps_from_options(conversation, timeout)
    except ScriptError as error:
        raise LaunchError(str(error)) from None


def lower_guests(args: argparse.Namespace) -> bool:
    """`--guest-priority low`: guests below the tracer (`launch.priority`); by default they run
    at normal priority in a session of their own (`launch.guest_session`)."""
    return bool(getattr(args, "guest_priority", "normal") == "low")


def options_from(args: argparse.Namespace) -> RunOptions:
    """Checked options (raises LaunchError)."""
    if args.fs_mode is not None and args.fs is None:
        raise LaunchError(f"--fs-mode {args.fs_mode} needs --fs DIR, the directory the guests share")
    if args.fs_rw and args.fs is None:
        raise LaunchError("--fs-rw needs --fs DIR, the directory the guests may write to")
    fs_mode = args.fs_mode or "shared"
    return RunOptions(
        **guest_options(args),
        count=args.count,
        jobs=args.jobs,
        fs=args.fs,
        fs_mode=fs_mode,
        fs_type=args.fs_type,
        remote=remote(args),
    )


NOT_OPTIONS = ("handler", "tui")
"""What `main` adds to the parsed arguments to do its work: functions, not choices the user made."""


def session_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options as session.json keeps them: what the user chose, as JSON values (paths as text)."""
    options = {key: value for key, value in vars(args).items() if key not in NOT_OPTIONS}
    return {key: str(value) if isinstance(value, Path) else value for key, value in options.items()} | {
        "extra": list(args.extra)
    }


def make_fleet(args: argparse.Namespace, command: list[str] | None = None) -> tuple[Fleet, Shares]:
    """Checked options to a ready fleet (raises one of USER_ERRORS). `command`: the command line
    the recording names (default this process's; the home screen's launch form passes its own)."""
    options = options_from(args)
    # SIGTERM and SIGHUP raise as SIGINT does: a copy interrupted is a copy `prepare` removes
    with signals_handled((signal.SIGTERM, signal.SIGHUP), _raise_interrupted):
        specs, shares = prepare(options, copy_progress if sys.stderr.isatty() else None)
    record_dir: Path = args.record or default_recording()
    launcher = None
    try:
        launcher = launcher_for(args, specs, options.jobs)  # Ray's signal handlers first, uktrace's after
        fs_mode = options.fs_mode if options.fs else None
        start_session(
            record_dir, command or sys.argv, session_options(args) | {"fs_mode": fs_mode}, [s.name for s in specs]
        )
    except BaseException:
        shares.cleanup()
        if launcher is not None:
            launcher.close()
        raise
    fleet = Fleet(
        specs,
        jobs=options.jobs,
        timeout=options.timeout,
        record_dir=record_dir,
        firmware_console=getattr(args, "firmware_timing", False),
        start_gate=not getattr(args, "no_gate", False),
        lower_guests=lower_guests(args),
        launcher=launcher,
    )
    # the views' name of the filesystem: its mode, and its type unless 9P (as a bench's cells)
    fleet.fs_mode = f"{fs_mode} {options.fs_type}" if fs_mode and options.fs_type != "9p" else fs_mode
    return fleet, shares


def replay_command(args: argparse.Namespace) -> int:
    """`uktrace replay DIR`: a recording through the same views as a live run."""
    try:
        fleet = ReplayFleet(args.directory, speed=args.speed)
    except RecordingError as error:
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]uktrace replay:[/] {markup(error)}")
        return 2
    if wants_tui(args):
        tui_of(args)(fleet, f"uktrace replay {args.directory}", None)
        status = exit_status(fleet)
    else:
        status = run_headless(args, fleet, None)
    say_problems(fleet)
    say_missing(fleet)
    return status


def say_problems(fleet: ReplayFleet) -> None:
    """What the recording holds that was refused or unsound, one line each (the rest was replayed)."""
    if not fleet.problems:
        return
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    stderr.print(f"[yellow]uktrace replay:[/] {len(fleet.problems)} problems in the recording, left out:")
    for line in fleet.problems:
        stderr.print(f"  {markup(line)}")


def say_missing(fleet: ReplayFleet) -> None:
    """A partial recording was replayed as far as it goes: say, per guest, what was not there."""
    if not fleet.missing:
        return
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    count = len(fleet.missing)
    whose = "1 guest's recording is" if count == 1 else f"{count} guests' recordings are"
    stderr.print(
        f"[yellow]uktrace replay:[/] {whose} partial, replayed as far as {'it goes' if count == 1 else 'they go'}:"
    )
    for name, missing in fleet.missing.items():
        stderr.print(f"  {markup(name)}: missing {markup('; '.join(missing))}")


class Interrupted(Exception):
    """SIGTERM or SIGHUP before the run started (while copying shares): end as the signal would."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def _ignore(_signum: int, _frame: object) -> None:
    """The run already ends on the first signal: later ones must not cut its end in half."""


@contextlib.contextmanager
def signals_handled(
    signums: tuple[signal.Signals, ...], handler: Callable[[int, object], None]
) -> Iterator[Callable[[], None]]:
    """`handler` for `signums` in the block, the previous handlers after it. Gives a function that
    installs `handler` again: an event loop puts Python's defaults back when its own handlers go."""
    previous = {signum: signal.getsignal(signum) for signum in signums}

    def install() -> None:
        for signum in signums:
            signal.signal(signum, handler)

    install()
    try:
        yield install
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old if old is not None else signal.SIG_DFL)


def copy_progress(done: int, total: int, seconds: float) -> None:
    """`copying the share: 12/20 guests, 4.1 s` on the terminal while independent copies are made."""
    end = "\n" if done == total else ""
    sys.stderr.write(f"\rcopying the share: {done}/{total} guests, {seconds:.1f} s{end}")
    sys.stderr.flush()


def exit_status(fleet: FleetView) -> int:
    """128 + the signal that ended the run; else 1 when a guest did not end cleanly or the
    recording lost bytes; else 0."""
    if fleet.interrupted_by is not None:
        return 128 + fleet.interrupted_by
    return 1 if failed_guests(fleet.guests) or fleet.recording_errors else 0


def say_recording_errors(fleet: FleetView, stderr: Console) -> None:
    """A recording that failed is said on stderr, whatever else the run printed."""
    errors = fleet.recording_errors
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        stderr.print(
            f"[bold red]uktrace:[/] the recording in {fleet.record_dir} is incomplete: {errors[0]}{more}; "
            "the tables and the JSON come from what was received, every byte of it"
        )


TuiRunner = Callable[[FleetView, str, Callable[[], None] | None], None]
"""Shows a fleet in the TUI until the user quits. Injected by the `uktrace` entry point
(tui/cli.py), so the engine never imports the TUI."""


def tui_of(args: argparse.Namespace) -> TuiRunner:
    """The injected TUI runner, typed: what a command hands it is checked against `FleetView` (a
    bench cell's view once lacked a member the TUI reads, and only a user saw it)."""
    runner: TuiRunner = args.tui
    return runner


def wants_tui(args: argparse.Namespace) -> bool:
    """The TUI when one is available, unless asked otherwise or stdout is not a terminal."""
    return (
        getattr(args, "tui", None) is not None
        and not (args.headless or args.json)
        and sys.stdout.isatty()
        and sys.stdin.isatty()
    )


def run_command(args: argparse.Namespace, prog: str = "uktrace run") -> int:
    """`uktrace run` and `uktrace demo`: build the fleet, then the TUI or the headless view."""
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        fleet, shares = make_fleet(args)
    except USER_ERRORS as error:
        stderr.print(f"[red]{prog}:[/] {markup(error)}")
        return 2
    except Interrupted as interrupted:
        stderr.print(f"{prog}: interrupted by {interrupted} before the run started; the copies made are removed")
        return 128 + interrupted.signum
    try:
        if wants_tui(args):
            try:
                tui_of(args)(fleet, prog, shares.cleanup)
            finally:
                shares.cleanup()
            Output().print(run_footer(fleet, reasons=True), soft_wrap=True)
            say_recording_errors(fleet, stderr)
            return exit_status(fleet)
        return run_headless(args, fleet, shares)
    finally:
        close_launcher(fleet)


def run_headless(args: argparse.Namespace, fleet: FleetView, shares: Shares | None) -> int:
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    stdout = Output()
    if not stdout.is_terminal:
        stdout = Output(width=120)  # files and pipes get the whole table
    live_console = stderr if args.json else stdout
    show_live = live_console.is_terminal

    async def main() -> None:
        async with anyio.create_task_group() as group:
            if show_live:
                group.start_soon(live_progress, fleet, live_console)
            await fleet.run()
            group.cancel_scope.cancel()

    # the fleet takes signals while it runs; then its clean-up and the output finish whatever comes
    with signals_handled((signal.SIGINT, signal.SIGTERM, signal.SIGHUP), _ignore) as hold:
        try:
            anyio.run(main)
        finally:
            hold()  # asyncio leaves Python's defaults behind when its handlers go, not ours
            if shares is not None:
                shares.cleanup()
        if args.json:
            from ..analysis.observer_effect import effect_sentence, run_effect  # at the run's end only

            results = fleet_results(fleet)
            effect = run_effect(fleet) if fleet.guests else None
            if effect is not None:  # this host's observer check of this size: what the figures carry
                results["summary"]["observer"] = effect | {"sentence": effect_sentence(effect, recorded=not fleet.live)}
            json.dump(results, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            stdout.print(summary_tables(fleet))
            stdout.print(run_footer(fleet), soft_wrap=True)  # a path to copy is never wrapped
    say_recording_errors(fleet, stderr)
    survivors: list[int] = getattr(fleet, "survivors", [])
    if survivors:
        groups = ", ".join(str(pid) for pid in survivors)
        stderr.print(f"[red]uktrace run:[/] processes of process group {groups} still run (they left it); kill them")
    if fleet.interrupted_by is not None:
        stopped = "every QEMU stopped" if not survivors else "the other QEMUs stopped"
        stderr.print(f"uktrace run: interrupted by {signal.Signals(fleet.interrupted_by).name}; {stopped}")
    return exit_status(fleet)
