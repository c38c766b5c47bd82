"""`--cluster` for run, demo and bench, and `uktrace cluster check`: what a cluster offers uktrace."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from .. import __version__
from ..launch.cluster.address import ClusterError, parse_cluster
from ..launch.fleet import Fleet
from ..launch.options import LaunchError
from ..model.spec import GuestSpec
from ..model.text import markup
from ..present.table import SafeTable
from .output import Output

SLOTS_EXAMPLE = '{"uktrace_slots": 64}'


def remote(args: argparse.Namespace) -> bool:
    """Whether the guests run on a cluster (raises ClusterError for a malformed `--cluster`)."""
    return not parse_cluster(getattr(args, "cluster", "local")).local


def launcher_for(args: argparse.Namespace, specs: Sequence[GuestSpec], jobs: int | None) -> Any:
    """None for `--cluster local`; else a `RayLauncher` joined to the cluster, its actors started."""
    address = parse_cluster(getattr(args, "cluster", "local"))
    per_node: int | None = getattr(args, "per_node", None)
    if address.local:
        if per_node is not None:
            raise LaunchError("--per-node needs --cluster ray:auto or ray:HOST:PORT")
        return None
    if per_node is not None and per_node < 1:
        raise LaunchError("--per-node must be at least 1")
    if getattr(args, "cmd", None):
        raise LaunchError("--cmd runs its launcher on this host only: leave out --cluster")
    if getattr(args, "firmware_timing", False):
        raise LaunchError("--firmware-timing is for local runs: leave out --cluster")
    from ..launch.cluster.client import RayLauncher

    launcher = RayLauncher(address, per_node)
    try:
        launcher.connect(specs, min(jobs or len(specs), len(specs)))
    except BaseException:
        launcher.close()
        raise
    return launcher


def close_launcher(fleet: Fleet) -> None:
    """The actors stop whatever still runs and go; the driver leaves the cluster."""
    if fleet.launcher is not None:
        close = getattr(fleet.launcher, "close", None)
        if close is not None:
            close()


def add_cluster_parser(commands: Any) -> None:
    cluster = commands.add_parser("cluster", help="what a Ray cluster offers uktrace (cluster check)")
    actions = cluster.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="nodes, QEMU on each, free slots, clock offsets, version mismatches",
        epilog="exit status: 0 when every node with uktrace_slots can run guests; 1 when one cannot"
        " (no QEMU, versions that differ from this host's); 2 when there is no cluster there",
    )
    check.add_argument(
        "address", nargs="?", default="ray:auto", metavar="WHERE", help="ray:auto (default) or ray:HOST:PORT"
    )
    check.set_defaults(handler=cluster_check_command)


def cluster_check_command(args: argparse.Namespace) -> int:
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return _check(args.address)
    except (ClusterError, LaunchError) as error:
        stderr.print(f"[red]uktrace cluster check:[/] {markup(error)}")
        return 2


def _check(where: str) -> int:
    from ..launch.cluster.client import cluster_check

    address = parse_cluster(where)
    if address.local:
        raise ClusterError("cluster check needs ray:auto or ray:HOST:PORT")
    report = cluster_check(address)
    mine = {"python": sys.version.split()[0], "ray": report["ray"], "uktrace": __version__}
    table = SafeTable(title=f"Ray cluster at {where.removeprefix('ray:')}", title_justify="left")
    for column in ("node", "slots free/total", "QEMU", "clock offset", "round trip", "python", "ray", "uktrace"):
        table.add_column(column)
    problems: list[str] = []
    for node in report["nodes"]:
        facts = node.get("facts") or {}
        if node.get("error"):
            problems.append(f"node {node['address']}: {node['error']}")
        elif facts.get("qemu") is None:
            problems.append(f"node {node['address']}: qemu-system-x86_64 not found")
        for what in ("python", "ray", "uktrace"):
            if facts.get(what) is not None and facts[what] != mine[what]:
                problems.append(f"node {node['address']}: {what} {facts[what]}, this host {mine[what]}")
        qemu = (facts.get("qemu_version") or ("missing" if facts else "?")).split(" (")[0]
        offset = f"{node['offset_ns'] / 1e6:+.3f} ms" if node.get("offset_ns") is not None else "?"
        rtt = f"{node['rtt_ns'] / 1e6:.3f} ms" if node.get("rtt_ns") is not None else "?"
        table.add_row(
            node["address"],
            f"{node['free']}/{node['slots']}",
            qemu,
            offset,
            rtt,
            facts.get("python", "?"),
            facts.get("ray", "?"),
            facts.get("uktrace", "?"),
        )
    output = Output()
    if not output.is_terminal:
        output = Output(width=120)  # files and pipes get the whole table
    output.print(table)
    output.print(f"this host: python {mine['python']}, ray {mine['ray']}, uktrace {mine['uktrace']}")
    without = report["without_slots"]
    if without:
        output.print(f"{without} node(s) offer no uktrace_slots and run no guests")
    if not report["nodes"]:
        problems.append(f"no node offers uktrace_slots: start nodes with ray start --resources '{SLOTS_EXAMPLE}'")
    for problem in problems:
        output.print(f"[red]problem:[/] {markup(problem)}")
    if not problems:
        free = sum(node["free"] for node in report["nodes"])
        output.print(f"[green]ok:[/] {len(report['nodes'])} node(s), {free} free slots")
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 1 if problems else 0
