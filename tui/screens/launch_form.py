"""The launch form: what to boot and how, as fields, with the equivalent command line beside them.

The form only collects text (`LaunchChoice`); the command line it shows is the one checked and
run (`uktrace.cli.launch_line`), so what the user copies into a script does what the form did.
Enter in any field (or the Launch button) answers; escape cancels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from uktrace.cli.launch_line import LaunchChoice, default_bench_out, shell_line
from uktrace.kernel.nearby import NearbyKernel
from uktrace.launch.options import LaunchError

TEST_GUEST = ""
"""The kernel Select's value for the built-in test guest (`uktrace run` without KERNEL)."""
FIELDS = {
    "guests": ("guests -n", "1"),
    "jobs": ("at once -j", "all"),
    "fs": ("9P share --fs", "a directory (none)"),
    "memory": ("memory --mem", "64M"),
    "append": ("--append", "e.g. uktrace.era=0.17"),
    "ready": ("ready --ready", "a regex, e.g. Listening on"),
    "timeout": ("timeout (s)", "60"),
    "more": ("other options", "e.g. --no-gate --cpu max"),
}
"""Text fields: the LaunchChoice field, its label, its placeholder."""
RUN_OR_BENCH = [("run", "run"), ("bench", "bench")]
FS_MODES = [("shared", "shared"), ("independent", "independent"), ("both (bench)", "independent,shared")]
ACCELS = [("tcg", "tcg"), ("kvm", "kvm"), ("auto", "auto")]


def kernel_label(kernel: NearbyKernel) -> str:
    """`./app  (kraft project, 0.17.0 (Calypso))`; the test guest by its name alone."""
    if kernel.argument is None:
        return kernel.label
    return f"{kernel.label}  ({', '.join(p for p in (kernel.kind, kernel.unikraft) if p)})"


class LaunchForm(ModalScreen[LaunchChoice | None]):
    """Kernel, guests, jobs, fs and fs mode, accelerator, memory, append, ready regex, timeout, other
    options."""

    AUTO_FOCUS = "#guests"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+r", "launch", "Launch"),
    ]
    DEFAULT_CSS = """
    LaunchForm { align: center middle; }
    LaunchForm > Vertical {
        width: 100; max-width: 98%; height: auto; max-height: 98%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    LaunchForm Grid { grid-size: 4; grid-columns: 14 1fr 14 1fr; grid-rows: 1; grid-gutter: 1 1; height: auto; }
    LaunchForm Grid > Label { color: $text-muted; }
    LaunchForm #command { margin: 1 0 0 0; color: $text; }
    LaunchForm #header { margin-bottom: 1; color: $text-muted; }
    LaunchForm #problem { color: $error; height: auto; }
    LaunchForm Horizontal { height: auto; align-horizontal: right; }
    LaunchForm Button { margin-left: 2; }
    """

    def __init__(
        self, kernels: Sequence[NearbyKernel], choice: LaunchChoice | None = None, problem: str | None = None
    ) -> None:
        super().__init__()
        self.kernels = list(kernels)
        self.choice = choice or LaunchChoice(kernel=self._first_kernel(), out=str(default_bench_out()))
        """The fields as the form opens (a bench's --out named once, so the line shown is the line run)."""
        self.problem = problem

    def _first_kernel(self) -> str | None:
        return self.kernels[0].argument if self.kernels else None

    def compose(self) -> ComposeResult:
        kernel_options = [
            (
                k.label + (f"  ({', '.join(p for p in (k.kind, k.unikraft) if p)})" if k.argument else ""),
                k.argument or TEST_GUEST,
            )
            for k in self.kernels
        ]
        with Vertical() as box:
            box.border_title = "launch"
            yield Static("tab moves between fields · enter launches · esc cancels", id="header")
            with Grid():
                for name in ("mode", "kernel", "kernel-path", "guests", "jobs", "timeout", "fs", "fs_mode", "accel"):
                    yield from self._field(name, kernel_options)
                for name in ("memory", "append", "ready", "more"):
                    yield from self._field(name, kernel_options)
            yield Static(id="command")
            yield Static(self.problem or "", id="problem")
            with Horizontal():
                yield Button("Cancel (esc)", id="cancel", compact=True)
                yield Button("Launch (enter)", id="launch", variant="success", compact=True)

    def _field(self, name: str, kernel_options: list[tuple[str, str]]) -> ComposeResult:
        """A label and its field, two to a row of the grid."""
        choice = self.choice
        known = {value for _, value in kernel_options}
        kernel = choice.kernel or TEST_GUEST
        if name == "mode":
            yield Label("what")
            yield Select(RUN_OR_BENCH, value=choice.mode, allow_blank=False, id="mode", compact=True)
        elif name == "kernel":
            yield Label("kernel")
            value = kernel if kernel in known else Select.NULL
            yield Select(kernel_options, value=value, prompt="a kernel found here", id="kernel", compact=True)
        elif name == "kernel-path":
            yield Label("or a path")
            path = "" if kernel in known else choice.kernel or ""
            yield Input(path, placeholder="kernel file or kraft project", id="kernel-path", compact=True)
        elif name == "fs_mode":
            yield Label("fs mode")
            value = choice.fs_mode or Select.NULL
            yield Select(FS_MODES, value=value, prompt="default", id="fs_mode", compact=True)
        elif name == "accel":
            yield Label("accelerator")
            yield Select(ACCELS, value=choice.accel, allow_blank=False, id="accel", compact=True)
        else:
            label, placeholder = FIELDS[name]
            yield Label(label, id=f"label-{name}")
            yield Input(str(getattr(choice, name)), placeholder=placeholder, id=name, compact=True)

    def on_mount(self) -> None:
        self.query_one("#guests", Input).focus()
        self._changed()

    def current(self) -> LaunchChoice:
        """The fields as a LaunchChoice."""
        values: dict[str, str | None] = {}
        for field in fields(LaunchChoice):
            if field.name in ("kernel", "mode", "fs_mode", "accel", "out"):
                continue
            values[field.name] = self.query_one(f"#{field.name}", Input).value
        path = self.query_one("#kernel-path", Input).value.strip()
        picked = self.query_one("#kernel", Select).value
        kernel = path or (picked if isinstance(picked, str) and picked != TEST_GUEST else None)
        mode = self.query_one("#mode", Select).value
        fs_mode = self.query_one("#fs_mode", Select).value
        accel = self.query_one("#accel", Select).value
        return replace(
            LaunchChoice(**values),  # type: ignore[arg-type]
            mode=mode if isinstance(mode, str) else "run",
            out=self.choice.out,
            kernel=kernel,
            fs_mode=fs_mode if isinstance(fs_mode, str) else "",
            accel=accel if isinstance(accel, str) else "tcg",
        )

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        choice = self.current()
        bench = choice.mode == "bench"
        self.query_one("#label-guests", Label).update("concurrency (list)" if bench else "guests (-n)")
        try:
            line = Text.assemble(("$ ", "dim"), (shell_line(choice.argv()), "bold"))
        except LaunchError as error:
            line = Text(str(error), style="red")
        self.query_one("#command", Static).update(Text.assemble(("the same from a shell:\n", "dim"), line))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_launch()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "launch":
            self.action_launch()
        else:
            self.dismiss(None)

    def action_launch(self) -> None:
        choice = self.current()
        try:
            choice.argv()
        except LaunchError as error:
            self.query_one("#problem", Static).update(str(error))
            return
        self.dismiss(choice)
