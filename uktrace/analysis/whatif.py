"""The what-if report of `bench --vary` and `--what-if`: which configuration boots fastest, and
what each change moved, with `uktrace compare`'s intervals and verdicts.

Per concurrency and fs mode, every configuration is judged against the baseline (the first value
of every axis) by `compare.compare_cell`, the method `uktrace compare` uses, so the report and
compare never disagree: a change "moved" a phase only when the whole 95 % interval of the
difference lies beyond the smallest change that counts, "no change" only when it lies wholly
inside, and anything else is "can't tell", with what would tell. Failures (a VMM that did not exit
after its guest halted, a machine the kernel cannot boot on, a firmware file QEMU cannot load) are
listed per configuration apart from the timing verdicts. Every sentence is computed here from
results.json.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from uktrace.parsers.phases import PHASES

from ..launch.axes import DEFAULT_BIOS, Axis, Config, change_label, config_label
from .compare import CANT_TELL, FASTER, MISSING, NO_CHANGE, SLOWER, CellComparison, MetricComparison, compare_cell
from .figures import median
from .pooled import cell_label
from .report import tracer_findings
from .samples import CellSamples, bench_key, from_document


def _s(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value * 1000:.1f} ms" if abs(value) < 1 else f"{value:.3f} s"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "±") + _s(abs(value))


def plan_axes(results: dict[str, Any]) -> tuple[Axis, ...]:
    """The bench's `--vary` axes, as its plan recorded them."""
    found = results.get("plan", {}).get("axes") or []
    return tuple(Axis(a["name"], tuple(a["values"]), tuple(a["labels"])) for a in found)


def is_whatif(results: dict[str, Any]) -> bool:
    return bool(plan_axes(results))


def _config(cell: dict[str, Any]) -> Config:
    return tuple((cell.get("config") or {}).items())


@dataclass(frozen=True)
class Group:
    """One concurrency and fs mode: its configurations' summaries (baseline first), their samples."""

    concurrency: int
    fs_mode: str
    summaries: list[dict[str, Any]]
    samples: dict[Config, CellSamples]

    @property
    def title(self) -> str:
        guests = "1 guest" if self.concurrency == 1 else f"{self.concurrency} guests"
        return f"{guests}, {'no share' if self.fs_mode == 'none' else self.fs_mode + ' fs'}"

    @property
    def baseline(self) -> Config:
        return _config(self.summaries[0])

    def comparison(self, config: Config) -> CellComparison | None:
        """`config` against the baseline, as `uktrace compare` would judge them."""
        a, b = self.samples.get(self.baseline), self.samples.get(config)
        if a is None or b is None:
            return None
        return compare_cell(str(config), a, b)


def groups(results: dict[str, Any]) -> list[Group]:
    """Per (concurrency, fs mode) in the summary's order, the configurations that ran there."""
    samples = from_document(results, "bench").cells if results["cells"] else {}
    found: dict[tuple[int, str], Group] = {}
    for summary in results["summary"]["cells"]:
        key = (summary["concurrency"], summary["fs_mode"])
        group = found.setdefault(key, Group(*key, [], {}))
        group.summaries.append(summary)
        cell = samples.get(bench_key((summary["concurrency"], cell_label(summary))))
        if cell is not None:
            group.samples[_config(summary)] = cell
    return list(found.values())


def _total(summary: dict[str, Any]) -> float | None:
    total = summary["figures"].get("total")
    return None if total is None else float(total["p50"])


def _metric(comparison: CellComparison | None, name: str) -> MetricComparison | None:
    if comparison is None:
        return None
    return next((row for row in comparison.metrics if row.metric == name), None)


def _short_verdict(row: MetricComparison | None) -> str:
    """`faster −59.3 ms [−61.0 ms, −57.2 ms]`, `can't tell [−1.0 s, +0.8 s]`: for a table cell."""
    if row is None or row.verdict == MISSING:
        return "no total: no guest of one side exited cleanly (see the failures)"
    if row.interval is None:
        return f"{row.verdict} (no interval)"
    low, high = row.interval
    return f"{row.verdict} {_signed(row.difference or 0.0)} [{_signed(low)}, {_signed(high)}]"


def _verdict_text(row: MetricComparison | None) -> str:
    """`faster: −59.3 ms (95 % CI −61.0 ms to −57.2 ms)`, `can't tell (it needs …)`."""
    if row is None:
        return "not measured"
    if row.verdict in (SLOWER, FASTER, NO_CHANGE) and row.interval is not None:
        low, high = row.interval
        return f"{row.verdict}: {_signed(row.difference or 0.0)} (95 % CI {_signed(low)} to {_signed(high)})"
    if row.verdict == CANT_TELL:
        sides = ("baseline", "this")
        return f"can't tell: {row.why(sides, 'round')}; it needs {row.needs(sides, 'round')}"
    return row.verdict


def ranked_table(group: Group, axes: Sequence[Axis]) -> list[str]:
    """The configurations by total p50 (those without one last), each against the baseline."""
    rows = [
        "| rank | configuration | total p50 | 95 % CI of p50 | guests | total against the baseline [95 % CI] |",
        "|---:|---|---:|---|---:|---|",
    ]
    order = sorted(group.summaries, key=lambda s: (_total(s) is None, _total(s) or 0.0))
    for rank, summary in enumerate(order, start=1):
        config = _config(summary)
        total = summary["figures"].get("total")
        ci = "…" if total is None or total["ci95"] is None else f"{_s(total['ci95'][0])} – {_s(total['ci95'][1])}"
        ok = summary["statuses"].get("exited", 0)
        guests = f"{ok}/{summary['guests']} exited"
        baseline = config == group.baseline
        against = "(the baseline)" if baseline else _short_verdict(_metric(group.comparison(config), "total"))
        rows.append(f"| {rank} | {change_label(config, axes)} | {_s(_total(summary))} | {ci} | {guests} | {against} |")
    return rows


def fastest_finding(group: Group, axes: Sequence[Axis]) -> str | None:
    """The fastest configuration by total p50, and whether that beats the baseline beyond the noise."""
    timed = [s for s in group.summaries if _total(s) is not None]
    if not timed:
        return None
    best = min(timed, key=lambda s: _total(s) or 0.0)
    config = _config(best)
    label = change_label(config, axes)
    if config == group.baseline:
        full = config_label(config, axes)
        return f"**{group.title}:** the baseline ({full}) has the lowest total p50, {_s(_total(best))}."
    row = _metric(group.comparison(config), "total")
    said = _verdict_text(row)
    faster = row is not None and row.verdict == FASTER
    claim = "is the fastest" if faster else "has the lowest total p50"
    return (
        f"**{group.title}:** {label} {claim}: total p50 {_s(_total(best))} against the baseline's "
        f"{_s(_total(group.summaries[0]))}; {'compare says' if faster else 'yet compare says'} {said}."
    )


def moved_findings(group: Group, axes: Sequence[Axis]) -> list[str]:
    """Per configuration, the phases and figures its change moved beyond the noise, with intervals;
    what did not move, and what cannot be told yet."""
    lines = []
    for summary in group.summaries[1:]:
        config = _config(summary)
        comparison = group.comparison(config)
        if comparison is None:
            continue
        moved, same, undecided = [], [], []
        for row in comparison.metrics:
            if row.verdict in (SLOWER, FASTER) and row.interval is not None and row.difference is not None:
                low, high = row.interval
                moved.append(
                    f"{row.metric} {_signed(row.difference)} ({_s(row.median_a)} → {_s(row.median_b)}, 95 % CI "
                    f"{_signed(low)} to {_signed(high)}, {row.clock} clock)"
                )
            elif row.verdict == NO_CHANGE:
                same.append(row.metric)
            elif row.verdict == CANT_TELL:
                undecided.append(row)
        parts = [("moved " + "; ".join(moved)) if moved else "moved nothing beyond the noise"]
        if same:
            parts.append(f"no change: {', '.join(same)}")
        if undecided:
            needs = Counter(row.needs(("baseline", "this"), "round") for row in undecided).most_common(1)[0][0]
            parts.append(f"can't tell: {', '.join(row.metric for row in undecided)} (it needs {needs})")
        lines.append(f"**{change_label(config, axes)}** ({group.title}): " + "; ".join(parts) + ".")
    return lines


def meaning_findings(group: Group, axes: Sequence[Axis], lingered: set[Config]) -> list[str]:
    """Where a configuration changes what a phase means: other firmware in `firmware`, a phase
    its guests never reached or the baseline's never had, an `exit` that is uktrace's wait
    (`lingered`: the configurations whose VMMs stayed after the halt)."""
    lines = []
    base_phases = set(group.summaries[0]["phases"])
    for summary in group.summaries[1:]:
        config = _config(summary)
        label = change_label(config, axes)
        bios = dict(config).get("bios")
        if bios is not None and bios != DEFAULT_BIOS and "firmware" in summary["phases"]:
            axis = next(a for a in axes if a.name == "bios")
            lines.append(
                f"**{label}:** `firmware` is the time in {axis.label(bios)} ({bios}) here, in QEMU's default firmware "
                "(SeaBIOS on pc and q35) at the baseline: the same span (VMM up to the kernel's first line), "
                "other code."
            )
        phases = set(summary["phases"])
        missing = [p for p in PHASES if p in base_phases - phases]
        if "exit" in missing and config in lingered:
            missing.remove("exit")
            lines.append(
                f"**{label}:** `exit` counts for no figure: its VMMs did not exit after the halt, and the phase "
                "would be uktrace's wait before ending them (see the failures)."
            )
        extra = [p for p in PHASES if p in phases - base_phases]
        if missing:
            lines.append(f"**{label}:** no guest measured {', '.join(missing)}, which the baseline's did.")
        if extra:
            lines.append(f"**{label}:** its guests measured {', '.join(extra)}, which the baseline's did not.")
    return lines


def halt_waits(results: dict[str, Any]) -> dict[tuple[int, str, Config], list[float]]:
    """Per (concurrency, fs mode, configuration), the `halt_wait` of each VMM that stayed after
    its guest halted and that uktrace ended."""
    waits: dict[tuple[int, str, Config], list[float]] = {}
    for cell in results["cells"]:
        for guest in cell["run"]["guests"]:
            wait = (guest.get("times") or {}).get("halt_wait")
            if isinstance(wait, int | float):
                waits.setdefault((cell["concurrency"], cell["fs_mode"], _config(cell)), []).append(float(wait))
    return waits


def failure_findings(results: dict[str, Any], axes: Sequence[Axis]) -> list[str]:
    """Per configuration, how its guests failed, and VMMs that stayed after their guest halted
    (their `total` ends at the guest's end; uktrace's wait is `halt_wait`)."""
    waits = halt_waits(results)
    lines = []
    for group in groups(results):
        for summary in group.summaries:
            config = _config(summary)
            parts = [f"{count} × {reason}" for reason, count in summary["failures"].items()]
            kept = waits.get((group.concurrency, group.fs_mode, config), [])
            if kept:
                parts.append(
                    f"{len(kept)} × VMM did not exit after halt: uktrace ended it after {_s(median(kept))} (p50, "
                    "`halt_wait`), which `total` leaves out (it ends at the guest's last console line)"
                )
            if parts:
                where = f"**{change_label(config, axes)}** ({group.title}; {summary['guests']} guests over the rounds)"
                lines.append(f"{where}: " + "; ".join(parts) + ".")
    return lines


def release_tables(results: dict[str, Any], axes: Sequence[Axis]) -> list[tuple[str, list[str]]]:
    """Per axis whose values boot different Unikraft releases (as the guests' banners say), a
    release × phase table (p50 and its 95 % interval), the other axes at their baseline."""
    tables = []
    for group in groups(results):
        baseline = dict(group.baseline)
        for axis in axes:
            column = [s for s in group.summaries if all(v == baseline[k] for k, v in _config(s) if k != axis.name)]
            releases = [release_of(results, group, _config(s)) for s in column]
            if len(column) < 2 or len({r for r in releases if r}) < 2:
                continue
            header = (
                "| phase | "
                + " | ".join(
                    f"{r or '?'} ({axis.label(dict(_config(s))[axis.name])})"
                    for r, s in zip(releases, column, strict=True)
                )
                + " |"
            )
            rows = [header, "|---|" + "---:|" * len(column)]
            for name in (*PHASES, "boot", "total"):
                cells = []
                for s in column:
                    d = s["phases"].get(name) or (s["figures"].get(name) if name in ("boot", "total") else None)
                    if d is None:
                        cells.append("")
                        continue
                    ci = "" if d["ci95"] is None else f" [{_s(d['ci95'][0])} – {_s(d['ci95'][1])}]"
                    cells.append(f"{_s(d['p50'])}{ci}")
                if any(cells):
                    rows.append(f"| {name} | " + " | ".join(cells) + " |")
            tables.append((f"{axis.name}, {group.title}", rows))
    return tables


def release_of(results: dict[str, Any], group: Group, config: Config) -> str | None:
    """The Unikraft release a configuration's guests printed (`0.17.0`; the test guest's eras are
    marked `era`), the most common one when they differ."""
    seen: Counter[str] = Counter()
    for cell in results["cells"]:
        if (cell["concurrency"], cell["fs_mode"], _config(cell)) != (group.concurrency, group.fs_mode, config):
            continue
        for guest in cell["run"]["guests"]:
            unikraft = guest.get("unikraft") or {}
            if unikraft.get("version"):
                test_guest = unikraft.get("codename") == "Testguest"
                seen[f"{unikraft['version']}{' era' if test_guest else ''}"] += 1
    return seen.most_common(1)[0][0] if seen else None


def phase_table(group: Group, axes: Sequence[Axis]) -> list[str]:
    """Phase medians (and clock) per configuration, in boot order."""
    header = "| phase | " + " | ".join(change_label(_config(s), axes) for s in group.summaries) + " |"
    rows = [header, "|---|" + "---:|" * len(group.summaries)]
    for name in (*PHASES, "boot", "total"):
        values = []
        for s in group.summaries:
            d = s["phases"].get(name) or (s["figures"].get(name) if name in ("boot", "total") else None)
            values.append("" if d is None else f"{_s(d['p50'])} ({d['clock']})")
        if any(values):
            rows.append(f"| {name} | " + " | ".join(values) + " |")
    return rows


def render(results: dict[str, Any], plots: Sequence[str]) -> str:
    """report.md of a bench with `--vary` or `--what-if`."""
    axes = plan_axes(results)
    plan, host = results["plan"], results["host"]
    design = plan.get("design", "product")
    shape = (
        "each lever alone against the baseline (the first value of each)"
        if design == "one at a time"
        else "every combination, judged against the baseline (the first value of each)"
    )
    varied = "; ".join(f"{a.name}: {', '.join(a.labels)}" for a in axes)
    baseline = config_label(tuple((a.name, a.values[0]) for a in axes), axes)
    varies_kernel = any(a.name == "kernel" for a in axes)
    kernel = "kernels as the kernel axis says" if varies_kernel else f"kernel `{plan['kernel']}`"
    out = [
        "# uktrace what-if report",
        "",
        f"{kernel[0].upper()}{kernel[1:]}, accelerator {plan['options']['accel']}; varied {varied} ({shape}; "
        f"baseline: {baseline}); "
        f"{plan.get('configs', len(axes))} configurations × concurrency {', '.join(map(str, plan['concurrency']))} × "
        f"fs {', '.join(plan['fs_modes'])} × {plan['repeat']} round(s), interleaved (seed {plan['seed']}).",
        f"Host: {host['cpus']} CPUs, {host['platform']}, {host.get('qemu') or 'QEMU version unknown'}; "
        f"the bench took {_s(results['wall_s'])}.",
        "",
        "Verdicts are `uktrace compare`'s: host-clock figures (spawn, firmware, boot, total) over the rounds' "
        "medians, in-guest phases over guests; a change counts only when its whole 95 % interval lies beyond "
        "the smallest change that matters (5 % of the baseline's median, at least 5 ms).",
        "",
        "## Findings",
        "",
    ]
    found = groups(results)
    skipped = (plan.get("what_if") or {}).get("skipped") or []
    lingered = {config for (_, _, config) in halt_waits(results)}
    sections: list[tuple[str, list[str]]] = [
        ("The fastest configuration", [line for g in found if (line := fastest_finding(g, axes))]),
        ("What each change moved (against the baseline)", [line for g in found for line in moved_findings(g, axes)]),
        (
            "Where a change alters what a phase means",
            [line for g in found for line in meaning_findings(g, axes, lingered)],
        ),
        ("Failures per configuration (apart from the timing verdicts)", failure_findings(results, axes)),
        ("Levers not tried", [f"{reason}." for reason in skipped]),
        # each configuration's figures carry what uktrace took from its guests, as a bench's do
        ("What uktrace itself cost", tracer_findings(results)),
    ]
    for title, lines in sections[:1]:
        if lines:
            out += [f"### {title}", "", *[f"- {line}" for line in lines], ""]
    for group in found:
        out += [f"### Configurations ranked by total p50 ({group.title})", "", *ranked_table(group, axes), ""]
    for title, lines in sections[1:]:
        if lines:
            out += [f"### {title}", "", *[f"- {line}" for line in lines], ""]
    for title, rows in release_tables(results, axes):
        out += [f"## Boot baseline across releases ({title})", "", *rows, ""]
    for group in found:
        out += [f"## Phase medians per configuration ({group.title})", "", *phase_table(group, axes), ""]
    if plots:
        out += ["## Plots", "", *[f"![{name}]({name})" for name in plots], ""]
    out += [
        "Every cell's recording replays with `uktrace replay`; `uktrace compare` takes this directory and any other "
        "bench or run; results.csv has every guest × phase with its configuration.",
        "",
    ]
    return "\n".join(out)
