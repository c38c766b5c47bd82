"""`bench --vary`: axes parsed, crossed into configurations, applied to the run's options, and
interleaved with every other cell of the bench in seeded rounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from uktrace.analysis.bench import summarise
from uktrace.analysis.bench_plan import BenchPlan, CellRound, cell_options
from uktrace.launch.axes import (
    Axis,
    apply,
    change_label,
    configs,
    make_axes,
    one_at_a_time,
    parse_vary,
)
from uktrace.launch.options import LaunchError, RunOptions


def axes(*varied: str) -> tuple[Axis, ...]:
    return make_axes([parse_vary(text) for text in varied], kernel_label=lambda v: v.rsplit("/", 1)[-1])


def test_a_vary_is_a_name_and_its_values_in_order() -> None:
    assert parse_vary("machine=pc,q35,microvm") == ("machine", ("pc", "q35", "microvm"))
    assert parse_vary("mem= 64M , 256M,64M") == ("mem", ("64M", "256M"))  # repeats dropped
    # QEMU's own arguments hold commas: qemu-args values are separated by ';'
    assert parse_vary("qemu-args=-M microvm;-M pc,accel=tcg") == ("qemu-args", ("-M microvm", "-M pc,accel=tcg"))


@pytest.mark.parametrize("text", ["machine", "colour=red,blue", "machine=", "machine=,"])
def test_a_vary_that_is_not_one_is_refused_with_the_names_it_takes(text: str) -> None:
    with pytest.raises(LaunchError, match="--vary"):
        parse_vary(text)


def test_an_axis_given_twice_is_refused() -> None:
    with pytest.raises(LaunchError, match="given twice"):
        axes("machine=pc,q35", "machine=microvm")


def test_labels_are_short_and_distinct() -> None:
    (bios, kernel) = axes("bios=default,/usr/share/qemu/qboot.rom", "kernel=/a/helloworld,/b/helloworld")
    assert bios.labels == ("default", "qboot")
    assert kernel.labels == ("helloworld-a", "helloworld-b")  # the directories tell the builds apart


def test_the_product_and_the_one_at_a_time_design_start_with_the_baseline() -> None:
    found = axes("bios=default,qboot.rom", "machine=pc,q35,microvm", "mem=64M,256M")
    product = configs(found)
    assert len(product) == 2 * 3 * 2 and len(set(product)) == len(product)
    baseline = (("bios", "default"), ("machine", "pc"), ("mem", "64M"))
    assert product[0] == baseline
    alone = one_at_a_time(found)
    assert alone[0] == baseline
    # every other value once, every other axis at its baseline
    assert [change_label(config, found) for config in alone] == [
        "baseline", "bios=qboot", "machine=q35", "machine=microvm", "mem=256M"
    ]  # fmt: skip


def test_values_change_the_options_as_the_flags_would() -> None:
    options = RunOptions(extra=("-no-hpet",))
    config = (("bios", "qboot.rom"), ("machine", "q35"), ("mem", "256M"), ("qemu-args", "-smp 2"))
    changed = apply(options, config)
    assert changed.extra == ("-no-hpet", "-bios", "qboot.rom", "-smp", "2")
    assert (changed.machine, changed.memory) == ("q35", "256M")
    assert apply(options, (("bios", "default"),)) == options  # QEMU's own firmware: nothing added


def test_every_round_holds_every_configuration_of_every_cell_once() -> None:
    plan = BenchPlan((1, 4), ("shared",), repeat=3, seed=7, axes=axes("machine=pc,q35", "mem=64M,128M"))
    order = plan.order()
    per_round = 2 * 4
    assert len(order) == 3 * per_round
    for round_ in (1, 2, 3):
        block = order[(round_ - 1) * per_round : round_ * per_round]
        assert {cell.round for cell in block} == {round_}
        assert len({cell.key for cell in block}) == per_round
    assert len({cell.id for cell in order}) == len(order)  # each cell records into a directory of its own
    assert order != sorted(order, key=lambda cell: (cell.round, cell.key))  # shuffled within rounds
    assert plan.order() == order  # by the seed
    warmup = plan.warmup_cell()
    assert warmup is not None and warmup.config == (("machine", "pc"), ("mem", "64M"))


def test_a_cell_without_a_share_runs_without_one() -> None:
    cell = CellRound(2, "none", 1, config=(("machine", "microvm"),))
    options = cell_options(RunOptions(fs=None, count=9), cell)
    assert (options.count, options.fs, options.machine) == (2, None, "microvm")


def test_the_summary_keeps_configurations_apart_in_the_plans_order() -> None:
    def cell(config: dict[str, str], round_: int) -> dict[str, object]:
        guest = {"name": "g", "status": "exited", "exit_code": 0, "phases": [],
                 "times": {"total": 0.2, "clocks": {"total": "host"}}}  # fmt: skip
        return {"concurrency": 1, "fs_mode": "none", "config": config, "tag": "-".join(config.values()),
                "round": round_, "run": {"guests": [guest]}}  # fmt: skip

    q35, pc = {"machine": "q35"}, {"machine": "pc"}
    summary = summarise(
        [cell(q35, 1), cell(pc, 1), cell(pc, 2), cell(q35, 2)], [(("machine", "pc"),), (("machine", "q35"),)]
    )
    assert [(c["config"], c["guests"]) for c in summary["cells"]] == [(pc, 2), (q35, 2)]


def test_a_cells_configuration_is_read_back_from_its_session_or_said_to_be_bad() -> None:
    from uktrace.recording.schema import OPTIONS, clean

    problems: list[str] = []
    assert clean({"config": {"machine": "q35"}}, OPTIONS, "session.json", problems) == {"config": {"machine": "q35"}}
    assert clean({"config": ["q35"]}, OPTIONS, "session.json", problems) == {} and problems == [
        "session.json: config is not an object of strings"
    ]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--vary", "colour=red,blue"), "--vary colour=red,blue: NAME=V1,V2,... with NAME one of kernel"),
        (("--vary", "kernel=/nonexistent/app"), "--vary kernel=/nonexistent/app: /nonexistent/app: no such kernel"),
        (("--vary", "mem=64M,lots"), "--vary mem=lots: --mem lots: not a size"),
        (("--vary", "machine=pc,q35", "--observer-check"), "--observer-check runs one configuration"),
        (("--what-if", "--vary", "mem=64M,1G"), "--what-if is its own set of axes"),
    ],
)
def test_a_bench_that_cannot_vary_so_says_before_anything_starts(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    from tests.conftest import uktrace

    out = tmp_path / "out"
    result = uktrace("bench", *args, "--headless", "--out", str(out), timeout=60)
    assert result.returncode == 2 and said in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
