"""`uktrace calibrate`: what a console byte costs a guest on this host (`launch.calibration`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.console import Console

from ..kernel.find import TEST_GUEST
from ..launch.calibration import SIZES_KIB, calibrate, save


def add_calibrate_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "calibrate",
        help="measure what a console byte costs a guest on this host, for the console cost in every report",
        description="Boots the test guest printing "
        + ", ".join(f"{size} KiB" for size in SIZES_KIB)
        + " of debug lines, each alone and unobserved, and keeps the cost per byte (with its 95 % interval)"
        " for this QEMU, accelerator, CPU and kernel. Run it on a quiet host.",
    )
    parser.add_argument("--qemu", default="qemu-system-x86_64", help="QEMU binary (default qemu-system-x86_64)")
    parser.add_argument("--accel", choices=("tcg", "kvm"), default="tcg", help="accelerator (default tcg)")
    parser.add_argument("--rounds", type=int, default=4, help="boots per size (default 4)")
    parser.set_defaults(handler=calibrate_command)


def calibrate_command(args: argparse.Namespace) -> int:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if not TEST_GUEST.is_file():
        err.print(f"[red]uktrace calibrate:[/] the test guest is not built ({TEST_GUEST}): make guest")
        return 2
    if args.rounds < 2:
        err.print("[red]uktrace calibrate:[/] --rounds must be at least 2 (an interval needs repeats)")
        return 2
    cost = calibrate(args.qemu, args.accel, args.rounds, progress=lambda line: err.print(f"  {line}"))
    if cost is None:
        err.print("[red]uktrace calibrate:[/] too few boots ended to fit a cost (see the lines above)")
        return 1
    path = save(cost)
    out = Console(highlight=False, soft_wrap=True)
    out.print(
        f"console cost: {cost.per_byte_s * 1e6:.2f} µs per byte (95 % CI {cost.low_s * 1e6:.2f}-"
        f"{cost.high_s * 1e6:.2f}, {cost.runs} boots), {cost.host['qemu']}, {cost.host['accel']}"
    )
    out.print(f"kept in {path}", crop=False, overflow="ignore")
    sys.stdout.flush()
    return 0
