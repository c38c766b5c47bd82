"""Two or more marked runs side by side: `uktrace compare`'s tables and verdicts, and per phase
the box plots of every run on one axis, so a difference is seen as well as read.

The oldest marked run is the baseline A (what `uktrace compare A B` calls A); each other run is
compared against it with the engine's `analysis.compare`, the same code and method as the
command line. Samples come from the home screen's digests when they are read already, else the
recordings are read through here, on a worker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from uktrace.analysis.compare import CANT_TELL, Comparison, Method, compare
from uktrace.analysis.overview import Digest, digest
from uktrace.analysis.samples import Samples
from uktrace.analysis.stats import distribution
from uktrace.present.comparison import LABELS, VERDICT_STYLE, comparison_tables, guests, seconds_text
from uktrace.recording.inventory import Recording

from ..bar import nice_axis
from ..charts import BoxPlot
from ..palette import phase_colour
from ..widgets.footer import KeyFooter

RUN_COLOURS = ("#56b4e9", "#e69f00", "#009e73", "#cc79a7", "#f0e442", "#d55e00")
"""One colour per run (Okabe & Ito), A first: the box plots say which run by colour and letter."""
TEXT_WIDTH = 64
"""Cells the plots' text columns take with their padding, the scroll's padding and scrollbar
included; the box plots get the rest (a cell less and the table shrinks the verdicts)."""


class CompareScreen(Screen[None]):
    """The comparison of the marked runs; escape goes back to the list."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]
    DEFAULT_CSS = """
    CompareScreen #compare-title { height: auto; padding: 0 1; background: $panel; }
    CompareScreen VerticalScroll { padding: 0 1; }
    CompareScreen VerticalScroll > Static { margin-bottom: 1; }
    """

    def __init__(self, recordings: Sequence[Recording], digests: Mapping[str, Digest]) -> None:
        super().__init__(name="compare")
        self.recordings = list(recordings)
        self.digests = dict(digests)
        self.inputs: list[Samples] | None = None
        self.comparisons: list[Comparison] = []

    def compose(self) -> ComposeResult:
        yield Static(id="compare-title")
        with VerticalScroll(id="compare"):
            yield Static(Text("reading the runs…", style="dim"), id="plots")
            yield Static(id="tables")
        yield KeyFooter()

    def on_mount(self) -> None:
        title = Text("compare  ", style="bold")
        for label, recording in zip(LABELS, self.recordings, strict=False):
            colour = RUN_COLOURS[LABELS.index(label) % len(RUN_COLOURS)]
            title.append(f"{label}", style=f"bold {colour}")
            title.append(f" = {recording.path.name} ({recording.kind}, {guests(recording.guests)})  ")
        self.query_one("#compare-title", Static).update(title)
        self.query_one(VerticalScroll).focus()
        self.read()

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def read(self) -> None:
        """Each run's samples (read through if the list has not yet), then the comparisons."""
        inputs: list[Samples] = []
        for recording in self.recordings:
            known = self.digests.get(str(recording.path)) or digest(recording)
            if known.samples is None:
                problem = known.problem or f"{recording.path}: no guest to compare"
                self.app.call_from_thread(self._failed, problem)
                return
            inputs.append(known.samples)
        method = Method()
        comparisons = [compare(inputs[0], other, method) for other in inputs[1:]]
        self.app.call_from_thread(self._show, inputs, comparisons, method)

    def _failed(self, problem: str) -> None:
        self.query_one("#plots", Static).update(Text(f"cannot compare: {problem}", style="red"))

    def _show(self, inputs: list[Samples], comparisons: list[Comparison], method: Method) -> None:
        self.inputs, self.comparisons = inputs, comparisons
        width = max(20, self.size.width - TEXT_WIDTH)
        self.query_one("#plots", Static).update(box_plots(inputs, comparisons, width))
        self.query_one("#tables", Static).update(comparison_tables(inputs, comparisons, method))


def box_plots(inputs: Sequence[Samples], comparisons: Sequence[Comparison], width: int) -> RenderableType:
    """Per cell both runs have and per phase or figure: one box plot per run on the phase's own
    axis (its ticks at the right), and the verdict of each run against A beside it."""
    if not comparisons or not any(c.cells for c in comparisons):
        keys = " against ".join(", ".join(s.cells) or "none" for s in inputs)
        return Text(f"no cell in common to compare ({keys})", style="yellow")
    parts: list[RenderableType] = [
        Text("each phase on its own axis, every run on it   ├ min  █ p50–p95  ┤ max", style="bold underline")
    ]
    for cell in comparisons[0].cells:
        verdicts = {
            (index, metric.metric): metric
            for index, comparison in enumerate(comparisons, start=1)
            for other in comparison.cells
            if other.key == cell.key
            for metric in other.metrics
        }
        table = Table(box=None, padding=(0, 1), show_header=True, header_style="dim", title_justify="left")
        if len(comparisons[0].cells) > 1 or cell.key != "run":
            table.title = f"cell {cell.key}"
        table.add_column("metric", no_wrap=True, width=18)
        table.add_column("run", no_wrap=True, width=3)
        table.add_column("median", justify="right", no_wrap=True, width=9)
        table.add_column("distribution", no_wrap=True, width=width)
        table.add_column("axis", justify="right", no_wrap=True, width=8)
        table.add_column("vs A", no_wrap=True, width=len(CANT_TELL))
        for metric in cell.metrics:
            dists = [
                distribution(sample.cells[cell.key].values.get(metric.metric, [])) if cell.key in sample.cells else None
                for sample in inputs
            ]
            known = [d for d in dists if d is not None]
            if not known:
                continue
            axis = nice_axis(max(d.max for d in known)) or 1e-6
            axis_said = False  # the axis's length on the phase's first plotted row
            for index, dist in enumerate(dists):
                name = Text.assemble(("■ ", phase_colour(metric.metric)), metric.metric) if index == 0 else Text("")
                colour = RUN_COLOURS[index % len(RUN_COLOURS)]
                label = Text(LABELS[index], style=f"bold {colour}")
                if dist is None:
                    table.add_row(name, label, "…", Text("not measured", style="dim"), "", "")
                    continue
                versus = verdicts.get((index, metric.metric))
                verdict = Text(versus.verdict, style=VERDICT_STYLE.get(versus.verdict, "")) if versus else Text("")
                # compare's median (what its verdict and table use; the box's p50 too: `figures.median`)
                median = metric.median_a if index == 0 else versus.median_b if versus else None
                axis_said, said = True, axis_said
                table.add_row(
                    name,
                    label,
                    seconds_text(median),
                    BoxPlot(dist, axis, colour, width),
                    "" if said else Text(seconds_text(axis), style="dim"),
                    verdict,
                )
        parts.append(table)
    return Group(*parts)
