"""The `uktrace` command line: subcommands, argument checking, exit statuses.

Exit statuses: 0 success, 1 a guest failed (run) or a log did not end cleanly (parse), 2 a usage
error or an unreadable input, 130 interrupted. A user mistake is one clear line on stderr, never
a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..model.script import STEP_TIMEOUT_S
from .symbols import add_symbol_options

if TYPE_CHECKING:
    from .run import TuiRunner


def _parse_command(args: argparse.Namespace) -> int:
    from ..analysis.figures import guest_times
    from ..analysis.results import ended_cleanly
    from ..kernel.symbols import SymbolsError
    from ..launch.options import LaunchError, check_regex
    from ..model.json_shape import timeline_dict
    from ..model.shapes import formats
    from ..model.shapes import timeline as shape
    from ..model.text import markup
    from ..present.timeline import timeline_table
    from ..recording.logs import LogError, trace_log
    from .output import Output
    from .symbols import symbols_option

    stdout = Output()
    from rich.console import Console

    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    guests: list[shape.ParseGuest] = []
    status = 0
    try:
        symbols = symbols_option(args)
        ready = check_regex("--ready", args.ready) if args.ready is not None else None
    except (SymbolsError, LaunchError) as error:
        stderr.print(f"[red]uktrace parse:[/] {markup(error)}")
        return 2
    for path in args.logs:
        try:
            timeline = trace_log(Path(path), kernel=args.kernel or args.symbols, ready=ready)
        except LogError as error:
            stderr.print(f"[red]uktrace parse:[/] {markup(error)}")
            status = 2
            continue
        timeline.symbols = symbols
        if status == 0 and not ended_cleanly(timeline):
            status = 1  # an unreadable log (2) says more than a guest that did not end cleanly
        if args.json:
            guests.append({**timeline_dict(timeline), "times": guest_times(timeline).as_dict()})
        else:
            stdout.print(timeline_table(timeline))
            stdout.print()
    if args.json:
        document: shape.ParseOutput = {"format": formats.PARSE, "guests": guests}
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return status


def _run_command(args: argparse.Namespace) -> int:
    if args.cmd is None:  # session.json names our QEMU's version: asked while the run's modules import
        from ..recording import qemu_version

        qemu_version.ask(args.qemu)
    from .run import run_command

    return run_command(args)


def _demo_command(args: argparse.Namespace) -> int:
    """8 test guests sharing one 9P directory made for the occasion (or `--fs DIR`): `--fs-mode`
    applies to it, as to a bench's share, so demo needs no `--fs` for it."""
    import tempfile

    from .run import run_command

    with tempfile.TemporaryDirectory(prefix="uktrace-demo-") as share:
        Path(share, "hello.txt").write_text("Hello from uktrace's demo share!\n")
        args.fs = args.fs or Path(share)  # the user's --fs and --fs-mode, when given, apply
        return run_command(args, prog="uktrace demo")


def _replay_command(args: argparse.Namespace) -> int:
    from .run import replay_command

    return replay_command(args)


class _Conversation(argparse.Action):
    """`--expect` and `--send` into one list, in the order given (`model.script.steps_from_options`)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object, option: str | None = None
    ) -> None:
        namespace.conversation = [*(namespace.conversation or []), (self.dest, str(values))]


def add_script_options(parser: argparse.ArgumentParser) -> None:
    """A conversation with each guest's console (`uktrace.launch.script`)."""
    parser.set_defaults(conversation=None)
    parser.add_argument(
        "--expect",
        action=_Conversation,
        metavar="REGEX",
        help="wait for console output matching REGEX (repeatable, in order with --send)",
    )
    parser.add_argument(
        "--send",
        action=_Conversation,
        metavar="TEXT",
        help="then type TEXT and Enter into the console (after the --expect before it)",
    )
    parser.add_argument(
        "--script",
        type=Path,
        metavar="FILE",
        help="a longer conversation: lines `expect REGEX`, `send TEXT`, `timeout S`, # comments",
    )
    parser.add_argument(
        "--step-timeout",
        type=float,
        default=STEP_TIMEOUT_S,
        metavar="S",
        help=f"seconds each --expect may wait; past them the guest fails, the step named (default {STEP_TIMEOUT_S:g})",
    )


def add_guest_options(parser: argparse.ArgumentParser) -> None:
    """What each guest boots and how: shared by `run`, `demo` and `bench`."""
    parser.add_argument(
        "kernel",
        nargs="?",
        metavar="KERNEL",
        help="Unikraft kernel image or kraft project directory (default: the built-in test guest)",
    )
    parser.add_argument(
        "--accel",
        choices=("tcg", "kvm", "auto"),
        default="tcg",
        help="accelerator (default tcg; auto = kvm when a probe guest runs under it within 3x tcg's time, else tcg)",
    )
    parser.add_argument("--cpu", help="QEMU -cpu model (default: max with TCG, host with KVM)")
    parser.add_argument("--mem", default="64M", help="guest memory (default 64M)")
    parser.add_argument("--append", help="kernel command line (test guest default: uktrace.era=0.10)")
    parser.add_argument("--qemu", default="qemu-system-x86_64", help="QEMU binary")
    parser.add_argument("--machine", default="pc", help="QEMU machine (default pc)")
    parser.add_argument(
        "--virtiofsd",
        metavar="PATH",
        help="the VirtioFS daemon for --fs-type virtiofs (default: the one QEMU's vhost-user descriptors name,"
        " else virtiofsd on PATH or in QEMU's library directory)",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="per-guest timeout in seconds (default 60)"
    )
    parser.add_argument(
        "--cmd", metavar="COMMAND", help="trace the console of this command instead of QEMU ({name}, {index}, {fs})"
    )
    parser.add_argument(
        "--tty",
        action="store_true",
        help="start each --cmd launcher on a terminal of its own (kraft run, scripts that check isatty)",
    )
    parser.add_argument(
        "--ready",
        metavar="REGEX",
        help="the application's ready line (e.g. 'Listening on'): times the `ready` phase, main's start to the"
        " first console line matching REGEX",
    )
    add_script_options(parser)
    parser.add_argument(
        "--guest-priority",
        choices=("normal", "low"),
        default="normal",
        help="normal (default): the guests run at normal priority, together in a session of their own,"
        " which the scheduler weighs as much as uktrace's: the figures are the guests' own, and uktrace"
        " gets a CPU when it needs one; low: each QEMU at the idle policy and nice 19 in uktrace's"
        " session: uktrace first, and the guests' figures then include whatever else the host runs",
    )
    parser.add_argument(
        "--cluster",
        default="local",
        metavar="WHERE",
        help="local (default): guests run here; ray:auto or ray:HOST:PORT: on that Ray cluster's nodes"
        " (those started with --resources '{\"uktrace_slots\": N}'), consoles streamed back here",
    )
    parser.add_argument(
        "--per-node",
        type=int,
        metavar="K",
        help="with --cluster ray:...: at most K guests per node, filling nodes in order (default: spread evenly)",
    )
    parser.add_argument(
        "--no-gate",
        action="store_true",
        help="start each guest as soon as it is spawned (default: all start paused, released together)",
    )


def _add_run_options(run: argparse.ArgumentParser) -> None:
    add_guest_options(run)
    run.add_argument("-n", "--count", type=int, default=1, metavar="N", help="number of guests (default 1)")
    run.add_argument("-j", "--jobs", type=int, metavar="J", help="at most J guests at once (default N)")
    run.add_argument(
        "--fs", type=Path, metavar="DIR", help="share DIR over virtio-9p (or VirtioFS), mount tag fs0, read-only"
    )
    run.add_argument(
        "--fs-type",
        choices=("9p", "virtiofs"),
        default="9p",
        help="how the guests get the --fs share: 9p (default, QEMU serves it) or virtiofs (a virtiofsd per guest)",
    )
    run.add_argument("--fs-rw", action="store_true", help="let the guests write to the --fs share (default: read-only)")
    run.add_argument(
        "--fs-mode",
        choices=("shared", "independent"),
        help="needs --fs (demo: its own share); shared (default): every guest uses DIR;"
        " independent: each gets its own copy (removed afterwards)",
    )
    run.add_argument("--record", type=Path, metavar="DIR", help="record every console into DIR (default: a temp dir)")
    run.add_argument(
        "--firmware-timing",
        action="store_true",
        help="split VMM start from SeaBIOS, and SeaBIOS into its parts, via its debug console"
        " (costs ~18 ms per boot under TCG)",
    )
    run.add_argument("--headless", action="store_true", help="no TUI: live progress, then tables")
    run.add_argument("--json", action="store_true", help="print the results as JSON")


ADDED_ELSEWHERE = {
    "compare": ("compare", "add_compare_parser"),
    "blame": ("blame", "add_blame_parser"),
    "export": ("export", "add_export_parser"),
    "recordings": ("recordings", "add_recordings_parser"),
    "cluster": ("cluster", "add_cluster_parser"),
    "calibrate": ("calibrate", "add_calibrate_parser"),
}
"""Commands whose options live beside their handler, in the module `uktrace.cli.<module>`: imported
only when that command is the one asked for (or for the whole `--help`), so that `uktrace run`
does not import compare's statistics, the exports, the recordings listing and the rest."""


def _bench_command(args: argparse.Namespace) -> int:
    from .bench import bench_command

    return bench_command(args)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `command` only that command's part of it (the others
    unbuilt: their modules unimported)."""
    parser = argparse.ArgumentParser(
        prog="uktrace",
        description="Live boot tracer for Unikraft unikernels.",
        epilog="On a terminal, `uktrace` alone opens the home screen: recorded runs, kernels at hand, launch, compare.",
    )
    parser.add_argument("--version", action="version", version=f"uktrace {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parse = commands.add_parser(
        "parse",
        help="boot timeline of saved console logs",
        epilog="exit status: 0 when every log shows its guest exit with code 0; 1 when one did not end"
        " cleanly (crashed, failed, timed out, or no exit seen: cut short, still booting or running),"
        " as `uktrace run` counts a guest failed; 2 when a log cannot be read. So"
        " `kraft run ... | uktrace parse -` can gate a pipeline.",
    )
    parse.add_argument("logs", nargs="+", metavar="LOG", help="serial console output saved to a file (- for stdin)")
    parse.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parse.add_argument(
        "--ready", metavar="REGEX", help="the application's ready line: times the `ready` phase (main's start to it)"
    )
    add_symbol_options(parse)
    parse.set_defaults(handler=_parse_command)
    run = commands.add_parser(
        "run", help="boot guests and trace them live", usage="uktrace run [KERNEL] [options] [-- EXTRA_QEMU_ARGS]"
    )
    _add_run_options(run)
    run.set_defaults(handler=_run_command)
    if command in (None, "bench"):
        from .bench import add_bench_options

        bench = commands.add_parser(
            "bench",
            help="boot N guests at once for each N and fs mode, R rounds: figures, plots and a report",
            usage="uktrace bench [KERNEL] [--concurrency 1,10,50,100] [--fs-mode independent,shared] [options]",
        )
        add_guest_options(bench)
        add_bench_options(bench)
        bench.set_defaults(handler=_bench_command)
    demo = commands.add_parser("demo", help="8 test guests with a shared 9P directory, in the TUI")
    _add_run_options(demo)
    demo.set_defaults(handler=_demo_command, count=8, kernel=None)
    replay = commands.add_parser("replay", help="play a recorded run back (TUI, or --headless/--json)")
    replay.add_argument("directory", type=Path, metavar="DIR", help="a recording (uktrace run --record DIR)")
    replay.add_argument("--speed", type=float, default=1.0, help="time factor (2 = twice as fast, 0 = instant)")
    replay.add_argument("--headless", action="store_true", help="no TUI: tables at the end")
    replay.add_argument("--json", action="store_true", help="print the results as JSON")
    replay.set_defaults(handler=_replay_command)
    for name, (module, function) in ADDED_ELSEWHERE.items():
        if command in (None, name):
            getattr(importlib.import_module(f"{__package__}.{module}"), function)(commands)
    return parser


COMMANDS = ("parse", "run", "bench", "demo", "replay", *ADDED_ELSEWHERE)
"""Every command's name (a word that is none of them gets the whole parser and its usage error)."""

OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG})
"""Errors of writing the output that are the environment's, not uktrace's."""


def main(argv: Sequence[str] | None = None, tui: TuiRunner | None = None) -> int:
    """The command line; `tui` shows a fleet in the TUI (the `uktrace` script passes it,
    `python -m uktrace` has none and always runs headless)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:  # what argparse's version action prints, without building the rest
        print(f"uktrace {__version__}")
        return 0
    command = next((word for word in argv if not word.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    extra: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, extra = argv[:split], argv[split + 1 :]
    args = parser.parse_args(argv)
    args.extra = tuple(extra)
    args.tui = tui
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader (`| head`) went away: not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:
        if error.errno not in OUTPUT_ERRNOS:
            raise
        # the output cannot be written (/dev/full, a full disk, a terminal closed): say so where
        # it still can be said, and drop what is still buffered rather than fail again at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        with contextlib.suppress(OSError):
            sys.stderr.write(f"uktrace: cannot write the output ({error.strerror})\n")
            sys.stderr.flush()
        return 1


if __name__ == "__main__":
    sys.exit(main())
