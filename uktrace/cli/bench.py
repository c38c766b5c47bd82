"""`uktrace bench`: options, the progress view while cells run, and the files it leaves in `--out`."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import anyio
from rich.console import Console
from rich.live import Live
from rich.text import Text

from ..analysis.bench import Bench, default_share
from ..analysis.bench_plan import (
    NO_SHARE,
    BenchPlan,
    cell_options,
    parse_concurrency,
    parse_fs_modes,
    parse_fs_types,
)
from ..analysis.bench_run import BenchStopped, run_bench
from ..analysis.compare import MIN_GUESTS
from ..analysis.report import write_report
from ..kernel.find import KernelError, find_kernel
from ..launch.axes import AXES, PLAN_AXES, Axis, make_axes, parse_vary, slug
from ..launch.cluster.address import ClusterError
from ..launch.fleet import Fleet
from ..launch.levers import Levers, find_levers
from ..launch.options import LaunchError, RunOptions, prepare
from ..launch.shares import ShareError
from ..model.guest import Guest
from ..model.shapes.recording import ObserverEffect, TracerBooting
from ..model.text import markup
from ..present.units import format_seconds
from ..recording.record import RecordingError, claim
from .cluster import launcher_for, remote
from .output import Output
from .run import guest_options, lower_guests, tui_of, wants_tui

USER_ERRORS = (LaunchError, KernelError, ShareError, RecordingError, ClusterError)


def add_bench_options(bench: argparse.ArgumentParser) -> None:
    bench.add_argument(
        "--concurrency",
        metavar="N,N,...",
        help="guests started at once, one cell per value (default 1,10,50,100; 1 with --vary or --what-if)",
    )
    bench.add_argument(
        "--fs-mode",
        metavar="MODE,...",
        help="independent (each guest its own copy of the share), shared (one for all); default both."
        " The share is --fs DIR, else a small directory the bench creates, so no --fs is needed"
        " (with --vary or --what-if and neither --fs nor --fs-mode: no share)",
    )
    bench.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="NAME=V1,V2,...",
        help="a launch option as an axis, crossed with every other axis and cell; repeatable. NAME: "
        + "; ".join(f"{name} ({about})" for name, (_, about) in AXES.items())
        + ". The first value is the baseline the what-if report judges the others against;"
        " qemu-args values are separated by ';'",
    )
    bench.add_argument(
        "--what-if",
        action="store_true",
        help="try the well-known host-side levers found on this machine, each alone against the baseline:"
        " firmware (QEMU's default vs qboot), machine (pc, q35, microvm), memory; says which it skipped and why",
    )
    bench.add_argument(
        "--fs-type",
        default="9p",
        metavar="TYPE,...",
        help="9p (default), virtiofs (a virtiofsd per guest), or 9p,virtiofs: both, as an axis of cells",
    )
    bench.add_argument("--fs", type=Path, metavar="DIR", help="the share (default: a small directory it creates)")
    bench.add_argument("--fs-rw", action="store_true", help="let the guests write to the share (default: read-only)")
    bench.add_argument(
        "--repeat",
        type=int,
        metavar="R",
        help="rounds per cell (default 3; 10 with --vary or --what-if, whose host-clock verdicts need them)",
    )
    bench.add_argument("--seed", type=int, default=1, help="seed of the interleaved cell order (default 1)")
    bench.add_argument("--no-warmup", action="store_true", help="skip the unrecorded warm-up cell")
    bench.add_argument(
        "--cooldown", type=float, default=1.0, metavar="S", help="pause between cells in seconds (default 1)"
    )
    bench.add_argument(
        "--observer-check",
        action="store_true",
        help="also run every cell unobserved (consoles emptied into files on a timer, parsed afterwards), and"
        " once more beside a thread that only wakes up; report what uktrace itself changed in each figure, and"
        " how much of it its wake-ups alone make, with compare's intervals and verdicts",
    )
    bench.add_argument("--headless", action="store_true", help="no TUI: a progress line, then the findings")
    bench.set_defaults(json=False)
    bench.add_argument(
        "--out", type=Path, metavar="DIR", help="results directory, new or empty (default ./uktrace-bench-DATE-TIME)"
    )


def bench_command(args: argparse.Namespace) -> int:
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    levers: Levers | None = None
    try:
        varied = [parse_vary(text) for text in args.vary]
        if args.what_if and varied:
            raise LaunchError("--what-if is its own set of axes: leave out --vary (or give --vary without --what-if)")
        if (varied or args.what_if) and args.cmd:
            raise LaunchError("--vary and --what-if change uktrace's own QEMU line: leave out --cmd")
        if (varied or args.what_if) and args.observer_check:
            raise LaunchError("--observer-check runs one configuration: leave it out with --vary or --what-if")
        if args.what_if:
            levers = find_levers(args.qemu, args.mem)
            varied = list(levers.varied)
        axes = make_axes([(name, values) for name, values in varied if name not in PLAN_AXES], _kernel_label)
        fs_modes = next((values for name, values in varied if name == "fs-mode"), None)
        if fs_modes is not None and args.fs_mode is not None:
            raise LaunchError("--vary fs-mode and --fs-mode say the same: give one")
        plan = BenchPlan(
            concurrency=parse_concurrency(args.concurrency or ("1" if varied else "1,10,50,100")),
            fs_modes=_fs_modes(args, bool(varied), fs_modes),
            fs_types=parse_fs_types(args.fs_type),
            repeat=args.repeat if args.repeat is not None else (10 if varied else 3),
            seed=args.seed,
            warmup=not args.no_warmup,
            cooldown_s=args.cooldown,
            observer_check=args.observer_check,
            axes=axes,
            design="one at a time" if args.what_if else "product",
        )
        if plan.observer_check and args.cmd:
            raise LaunchError("--observer-check runs QEMU itself (its console into a file): leave out --cmd")
        if plan.observer_check and remote(args):
            raise LaunchError("--observer-check runs its unobserved cells on this host: leave out --cluster")
        if plan.repeat < 1:
            raise LaunchError("--repeat must be at least 1")
        if plan.cooldown_s < 0:
            raise LaunchError("--cooldown cannot be negative")
        for n, rounds in plan.thin_checks().items():  # not an error: total still gets its rounds' interval
            stderr.print(
                f"[yellow]uktrace bench: --observer-check at {n} guest{'s' if n > 1 else ''} with --repeat "
                f"{plan.repeat}: {n * plan.repeat} guests a side, too few for an interval of the in-guest figures "
                f"({MIN_GUESTS}+ a side); --repeat {rounds} gives one[/]"
            )
        out = _out_dir(args.out)
    except USER_ERRORS as error:
        stderr.print(f"[red]uktrace bench:[/] {markup(error)}")
        return 2
    with tempfile.TemporaryDirectory(prefix="uktrace-bench-share-") as scratch:
        share = args.fs if args.fs is not None else default_share(Path(scratch) / "share")
        launcher = None
        try:
            options = RunOptions(**guest_options(args), count=max(plan.concurrency), fs=share, remote=remote(args))
            # every check (QEMU, kernel, share, KVM, limits for the largest cell, the daemon) before the first boot
            for fs_type in plan.fs_types:
                specs, shares = prepare(replace(options, fs_type=fs_type))
                shares.cleanup()
            _check_configs(plan, options)
            kernel = "--cmd " + args.cmd if args.cmd else str(find_kernel(args.kernel))
            claim(out, "--out")  # marked as uktrace's: `recordings prune` may delete it, nothing else
            launcher = launcher_for(args, specs, options.count)  # one for every cell: nodes joined once
        except USER_ERRORS as error:
            stderr.print(f"[red]uktrace bench:[/] {markup(error)}")
            return 2
        except OSError as error:
            stderr.print(f"[red]uktrace bench:[/] {markup(out)}: cannot create ({error.strerror})")
            return 2
        bench = Bench(
            plan,
            options,
            out,
            ["uktrace", *sys.argv[1:]],
            kernel,
            no_gate=args.no_gate,
            lower_guests=lower_guests(args),
            launcher=launcher,
            levers=None if levers is None else levers.as_dict(),
        )
        if levers is not None:
            _say_levers(levers, plan.axes, stderr)
        try:
            _run(bench, args, stderr)
        except BenchStopped:
            stopped = True
        else:
            stopped = False
        finally:
            if launcher is not None:
                launcher.close()
    results = bench.results()
    written = write_report(dict(results), out)
    stdout = Output()
    report = out / "report.md"
    if report.is_file():
        from rich.markdown import Markdown  # 35 ms of import: only once a bench has a report

        stdout.print(Markdown(_findings(report.read_text())))
    stdout.print(f"\n{len(bench.cells)} cells in {format_seconds(bench.wall_s)}; results in {out}/", soft_wrap=True)
    for path in written:
        stdout.print(f"  {path.relative_to(out)}", style="dim")
    if stopped:
        stderr.print(
            f"uktrace bench: stopped by the user; {len(bench.cells)} of {len(plan.order())} cells kept in {out}"
        )
        return 130
    if bench.interrupted_by is not None:
        stderr.print(
            f"uktrace bench: interrupted by {signal.Signals(bench.interrupted_by).name}; "
            f"{len(bench.cells)} of {len(plan.order())} cells done, kept in {out}"
        )
        return 128 + bench.interrupted_by
    return 0


def _kernel_label(value: str) -> str:
    """A kernel value's label: its Unikraft release (when the image names one) and file name."""
    from ..kernel.identity import unikraft_release

    try:
        path = find_kernel(value)
    except KernelError as error:
        raise LaunchError(f"--vary kernel={value}: {error}") from None
    release = unikraft_release(path)
    return slug(f"{release.version}-{path.name}" if release is not None and release.version else path.name)


def _fs_modes(args: argparse.Namespace, varied: bool, from_vary: tuple[str, ...] | None) -> tuple[str, ...]:
    """`--fs-mode` (or `--vary fs-mode=`); with axes and neither it nor `--fs`, no share: the
    question is the boot's, and a share is a device some machines (microvm) have no bus for."""
    if from_vary is not None:
        return parse_fs_modes(",".join(from_vary))
    if args.fs_mode is not None:
        return parse_fs_modes(args.fs_mode)
    if varied and args.fs is None:
        return (NO_SHARE,)
    return parse_fs_modes("independent,shared")


def _check_configs(plan: BenchPlan, options: RunOptions) -> None:
    """Every configuration's options checked as a run's are (a kernel that is not there, a
    memory size that is not one) before the first boot; what only QEMU can say (a firmware
    file, a machine the kernel cannot boot on) is that configuration's failure, reported."""
    from ..analysis.bench_plan import CellRound

    for config in plan.configs()[1:] if plan.axes else []:
        cell = CellRound(max(plan.concurrency), plan.fs_modes[0], 0, config=config)
        try:
            _, shares = prepare(cell_options(options, cell))
        except (LaunchError, KernelError) as error:
            values = " ".join(f"{name}={value}" for name, value in config)
            raise LaunchError(f"--vary {values}: {error}") from None
        shares.cleanup()


def _say_levers(levers: Levers, axes: tuple[Axis, ...], stderr: Console) -> None:
    """What `--what-if` will try, and what it left out and why."""
    tried = "; ".join(f"{axis.name} {', '.join(axis.labels)}" for axis in axes)
    stderr.print(f"uktrace bench --what-if: each lever alone against the first of each: {tried}", markup=False)
    for reason in levers.skipped:
        stderr.print(f"  skipped {reason}", markup=False, style="yellow")


def _out_dir(requested: Path | None) -> Path:
    """A new or empty directory: a bench never writes over what is there."""
    out = requested or Path(time.strftime("uktrace-bench-%Y%m%d-%H%M%S"))
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RecordingError(f"--out {out}: exists and is not empty; choose a new directory")
    return out


def _run(bench: Bench, args: argparse.Namespace, stderr: Console) -> None:
    """The cells: each in the TUI when there is one, else with a progress line on a terminal and
    one line per cell otherwise."""
    total = len(bench.plan.order())
    tui = wants_tui(args)

    def cell_done(bench: Bench) -> None:
        if not stderr.is_terminal and not tui:
            stderr.print(_cell_line(bench, total))

    def headless(fleet: Fleet, caption: str) -> None:
        async def main() -> None:
            async with anyio.create_task_group() as group:
                if stderr.is_terminal:
                    group.start_soon(_live, bench, total, stderr)
                await fleet.run()
                group.cancel_scope.cancel()

        anyio.run(main)

    def in_tui(fleet: Fleet, caption: str) -> None:
        view = CellView(fleet)
        tui_of(args)(view, f"uktrace bench · {caption}", None)
        if view.stopped_by_user:
            raise BenchStopped

    def unobserved(caption: str) -> None:
        if not stderr.is_terminal or tui:
            stderr.print(f"{caption}: consoles emptied into files on a timer, parsed afterwards")

    run_bench(bench, in_tui if tui else headless, cell_done, unobserved)


class CellView:
    """One bench cell for the TUI: the fleet's reading side, but the run ends with the cell (no
    relaunch: the figures are the cell's), and `q` stops the whole bench."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.stopped_by_user = False

    @property
    def guests(self) -> list[Guest]:
        return self.fleet.guests

    @property
    def jobs(self) -> int:
        return self.fleet.jobs

    @property
    def record_dir(self) -> Path:
        return self.fleet.record_dir

    @property
    def fs_mode(self) -> str | None:
        return self.fleet.fs_mode

    @property
    def live(self) -> bool:
        """Guests booting here now: the TUI header says what this host's observer check found."""
        return self.fleet.live

    @property
    def started_ns(self) -> int | None:
        return self.fleet.started_ns

    @property
    def finished_ns(self) -> int | None:
        return self.fleet.finished_ns

    @property
    def interrupted_by(self) -> int | None:
        return self.fleet.interrupted_by

    @property
    def recording_errors(self) -> list[str]:
        return self.fleet.recording_errors

    @property
    def tracer_booting(self) -> TracerBooting | None:
        return self.fleet.tracer_booting

    @property
    def observer_effect(self) -> ObserverEffect | None:
        return self.fleet.observer_effect

    def clock(self) -> int:
        return self.fleet.clock()

    def counts(self) -> dict[str, int]:
        return self.fleet.counts()

    def start_spread(self) -> float | None:
        return self.fleet.start_spread()

    def stop(self, reason: str = "bench stopped by the user") -> None:
        if self.fleet.finished_ns is None:
            self.stopped_by_user = True
        self.fleet.stop(reason)

    def stop_guest(self, guest: Guest) -> None:
        self.fleet.stop_guest(guest)

    def relaunch(self, guest: Guest) -> bool:
        return False

    async def run(self, keep_alive: bool = False) -> None:
        await self.fleet.run(keep_alive=False)


async def _live(bench: Bench, total: int, console: Console) -> None:
    with Live(Text(""), console=console, auto_refresh=False, transient=True) as live:
        while True:
            live.update(_progress(bench, total), refresh=True)
            await anyio.sleep(0.25)


def _progress(bench: Bench, total: int) -> Text:
    """`cell 3/24 n10-independent-r1: exited 7 booting 3 · 14.2 s elapsed, ETA 1 min 20 s`."""
    done = len(bench.cells) + len(bench.unobserved)
    boots_total = sum(cell.concurrency for cell in bench.plan.order())
    boots_done = sum(cell.cell.concurrency for cell in bench.cells) + sum(c["concurrency"] for c in bench.unobserved)
    elapsed = sum(cell.wall_s for cell in bench.cells)
    text = Text.assemble(("uktrace bench ", "bold"), f"{done}/{total} cells  ")
    width = 30
    filled = round(width * boots_done / boots_total) if boots_total else 0
    text.append("█" * filled + "░" * (width - filled), style="cyan")
    if boots_done:
        eta = elapsed / boots_done * (boots_total - boots_done)
        text.append(f"  ETA {format_seconds(eta)}")
    if bench.current is not None:
        position, cell, fleet = bench.current
        counts = "  ".join(f"{name} {n}" for name, n in fleet.counts().items() if n)
        text.append(f"\nwarm-up, {cell.concurrency} guests" if position == 0 else f"\ncell {position}: {cell.id}")
        text.append(f"  {counts}", style="dim")
    return text


def _cell_line(bench: Bench, total: int) -> str:
    last = bench.cells[-1]
    total_p50 = last.run["summary"]["times"].get("total")
    figure = f"total p50 {format_seconds(total_p50['p50'])}" if total_p50 else "no total"
    counts = ", ".join(f"{n} {name}" for name, n in last.run["summary"]["counts"].items() if n)
    return f"[{len(bench.cells)}/{total}] {last.cell.id}: {counts}; {figure} (cell took {format_seconds(last.wall_s)})"


def _findings(report: str) -> str:
    """The report's findings section, for the terminal (the tables stay in the file)."""
    start = report.find("## Findings")
    if start < 0:
        return report
    end = report.find("\n## ", start + 1)
    return report[start : end if end >= 0 else None]
