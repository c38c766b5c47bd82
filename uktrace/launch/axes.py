"""`bench --vary NAME=V1,V2,...`: a launch option as an axis of the bench's product.

An axis is a name and its values; what a value does to a run is one function per name (`AXES`),
so adding a lever is adding a row. A bench crosses every axis with its concurrency and fs modes
(the fs mode is an axis too: `--vary fs-mode=...` is `--fs-mode ...`), and each cell of the
product records as an ordinary run. The first value of each axis is its baseline: the what-if
report judges every other value against it. Values keep the user's spelling; a label (short,
safe in a directory name) names each one in cell ids, tables and plots.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .options import LaunchError, RunOptions

DEFAULT_BIOS = "default"
"""The `bios` value that keeps QEMU's own firmware (SeaBIOS on pc and q35)."""

Apply = Callable[[RunOptions, str], RunOptions]


def _bios(options: RunOptions, value: str) -> RunOptions:
    if value == DEFAULT_BIOS:
        return options
    return replace(options, extra=(*options.extra, "-bios", value))


def _qemu_args(options: RunOptions, value: str) -> RunOptions:
    try:
        words = shlex.split(value)
    except ValueError as error:
        raise LaunchError(f"--vary qemu-args={value}: {error}") from None
    return replace(options, extra=(*options.extra, *words))


AXES: dict[str, tuple[Apply, str]] = {
    "kernel": (lambda o, v: replace(o, kernel=v), "kernel images or kraft project directories"),
    "machine": (lambda o, v: replace(o, machine=v), "QEMU machine types (pc, q35, microvm)"),
    "bios": (_bios, f"firmware images for -bios ({DEFAULT_BIOS}: QEMU's own)"),
    "mem": (lambda o, v: replace(o, memory=v), "guest memory sizes (64M, 1G)"),
    "cpu": (lambda o, v: replace(o, cpu=v), "QEMU CPU models"),
    "accel": (lambda o, v: replace(o, accel=v), "accelerators (tcg, kvm)"),
    "append": (lambda o, v: replace(o, append=v), "kernel command lines"),
    "qemu-args": (_qemu_args, "extra QEMU arguments, each value one quoted string"),
    "fs-mode": (lambda o, v: replace(o, fs_mode=v), "fs modes (the same as --fs-mode)"),
}
"""Per axis name: how a value changes the run's options, and what its values are."""

PLAN_AXES = frozenset({"fs-mode"})
"""Axes the bench's plan already crosses as a cell field of its own (`CellRound.fs_mode`)."""


@dataclass(frozen=True, slots=True)
class Axis:
    """One `--vary`: a launch option and the values the bench tries, the first the baseline."""

    name: str
    values: tuple[str, ...]
    labels: tuple[str, ...]
    """Per value, its short name in cell ids, tables and plots (unique within the axis)."""

    def label(self, value: str) -> str:
        return self.labels[self.values.index(value)]

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "values": list(self.values), "labels": list(self.labels)}


Config = tuple[tuple[str, str], ...]
"""One configuration: (axis, value) per varied axis, in the axes' order."""


def parse_vary(text: str) -> tuple[str, tuple[str, ...]]:
    """`machine=pc,q35` → ("machine", ("pc", "q35")); `qemu-args` takes `;` between values, since
    QEMU's own arguments hold commas (`qemu-args=-M microvm;-M pc,accel=tcg`)."""
    name, equals, rest = text.partition("=")
    name = name.strip()
    if not equals or name not in AXES:
        known = ", ".join(AXES)
        raise LaunchError(f"--vary {text}: NAME=V1,V2,... with NAME one of {known}")
    separator = ";" if name == "qemu-args" else ","
    values = tuple(dict.fromkeys(part.strip() for part in rest.split(separator) if part.strip()))
    if not values:
        raise LaunchError(f"--vary {text}: no values after {name}=")
    return name, values


def make_axes(varied: Sequence[tuple[str, tuple[str, ...]]], kernel_label: Callable[[str], str]) -> tuple[Axis, ...]:
    """Axes from parsed `--vary` options, in the order given; a name given twice is refused.
    `kernel_label` names a kernel value (its Unikraft release and file name)."""
    seen: set[str] = set()
    axes = []
    for name, values in varied:
        if name in seen:
            raise LaunchError(f"--vary {name}: given twice; put every value in one --vary {name}=V1,V2,...")
        seen.add(name)
        raw = [kernel_label(v) if name == "kernel" else short_label(name, v) for v in values]
        if name == "kernel" and len(set(raw)) < len(raw):  # one app's builds side by side: their directories tell
            raw = [slug(f"{label}-{Path(v).resolve().parent.name}") for label, v in zip(raw, values, strict=True)]
        axes.append(Axis(name, values, unique(raw)))
    return tuple(axes)


def short_label(name: str, value: str) -> str:
    """A value as a label: a path's file name (`qboot.rom` → `qboot`), anything else as written,
    each cut to what a directory name and a table column hold."""
    if name == "bios" and value != DEFAULT_BIOS:
        value = Path(value).stem or value
    return slug(value)


def slug(text: str) -> str:
    """Letters, digits, `.`, `_`, `-` and `=`; every other run of characters one `_`; at most 40."""
    cleaned = re.sub(r"[^A-Za-z0-9._=-]+", "_", text).strip("_.") or "value"
    return cleaned[:40]


def unique(labels: Sequence[str]) -> tuple[str, ...]:
    """Labels made distinct by a `-2`, `-3` suffix where two values would read alike."""
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        result.append(label if seen[label] == 1 else f"{label}-{seen[label]}")
    return tuple(result)


def configs(axes: Sequence[Axis]) -> list[Config]:
    """Every configuration of the axes' product, the baseline (first values) first."""
    result: list[Config] = [()]
    for axis in axes:
        result = [(*config, (axis.name, value)) for config in result for value in axis.values]
    return result


def one_at_a_time(axes: Sequence[Axis]) -> list[Config]:
    """The baseline, then each other value of each axis with every other axis at its baseline:
    a short matrix that says what each lever does alone (`--what-if`)."""
    baseline = tuple((axis.name, axis.values[0]) for axis in axes)
    result = [baseline]
    for index, axis in enumerate(axes):
        for value in axis.values[1:]:
            result.append((*baseline[:index], (axis.name, value), *baseline[index + 1 :]))
    return result


def apply(options: RunOptions, config: Config) -> RunOptions:
    """`options` with each axis's value of `config` applied."""
    for name, value in config:
        options = AXES[name][0](options, value)
    return options


def config_label(config: Config, axes: Sequence[Axis]) -> str:
    """`machine=q35 bios=qboot`, in the axes' order; `baseline` for no axis."""
    by_name = {axis.name: axis for axis in axes}
    parts = [f"{name}={by_name[name].label(value) if name in by_name else slug(value)}" for name, value in config]
    return " ".join(parts) or "baseline"


def change_label(config: Config, axes: Sequence[Axis]) -> str:
    """What `config` changes from the baseline (the first value of every axis): `machine=q35`;
    `baseline` for the baseline itself."""
    firsts = {axis.name: axis.values[0] for axis in axes}
    return config_label(tuple((name, value) for name, value in config if firsts.get(name) != value), axes)
