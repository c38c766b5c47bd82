"""The launch form: what to boot and how, as fields, with the equivalent command line beside them.

The form only collects text (`LaunchChoice`); the command line it shows is the one checked and
run (`uktrace.tui.launch_line`), so what the user copies into a script does what the form did.
One field a row, top to bottom in the order Tab visits them, the first focused; each field is
checked as the command line would check it (`launch_line.field_problem`) as it is typed (a path
when it is left, so a half-typed one is not called missing), the error beside it. Enter in any
field (or the Launch button) launches, or puts the cursor in the first field still wrong; escape
cancels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, Select, Static

from uktrace.kernel.nearby import NearbyKernel
from uktrace.launch.options import LaunchError

from ..launch_line import LaunchChoice, default_bench_out, field_problem, shell_line

TEST_GUEST = ""
"""The kernel Select's value for the built-in test guest (`uktrace run` without KERNEL)."""
ORDER = (
    *("mode", "kernel", "kernel-path", "guests", "jobs", "timeout", "fs", "fs_mode", "accel", "memory"),
    *("append", "ready", "more"),
)
"""Every field, top to bottom: the order they are drawn in is the order Tab visits them."""
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
PATHS = ("kernel-path", "fs")
"""Checked when left (and again as they are mended), not at each key: a path half typed is not missing."""
RUN_OR_BENCH = [("run", "run"), ("bench", "bench")]
FS_MODES = [("shared", "shared"), ("independent", "independent"), ("both (bench)", "independent,shared")]
ACCELS = [("tcg", "tcg"), ("kvm", "kvm"), ("auto", "auto")]


class FieldCheck(Validator):
    """One field checked as the command line checks it, in its words (`launch_line.field_problem`)."""

    def __init__(self, name: str, mode: Callable[[], str]) -> None:
        super().__init__()
        self.name = name
        """The LaunchChoice field (the path input is `kernel`)."""
        self.mode = mode
        """`run` or `bench` as the form stands (a bench's guests are a list)."""

    def validate(self, value: str) -> ValidationResult:
        problem = field_problem(self.name, value, self.mode())
        return self.success() if problem is None else self.failure(problem, value)


def kernel_label(kernel: NearbyKernel) -> str:
    """`./app  (kraft project, 0.17.0 (Calypso))`; the test guest by its name alone."""
    if kernel.argument is None:
        return kernel.label
    return f"{kernel.label}  ({', '.join(p for p in (kernel.kind, kernel.unikraft) if p)})"


class LaunchForm(ModalScreen[LaunchChoice | None]):
    """Kernel, guests, jobs, fs and fs mode, accelerator, memory, append, ready regex, timeout, other
    options."""

    AUTO_FOCUS = ""
    """`on_mount` says where the cursor starts."""
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
    LaunchForm Grid { grid-size: 3; grid-columns: 14 40 1fr; grid-rows: auto; grid-gutter: 0 1; height: auto; }
    LaunchForm Grid > Label { color: $text-muted; }
    LaunchForm Grid > Label.error { color: $error; width: 100%; }
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
        with Vertical() as box:
            box.border_title = "launch"
            yield Static("tab moves between fields · enter launches · esc cancels", id="header")
            with Grid():
                for name in ORDER:
                    yield from self._field(name)
                    yield Label(id=f"error-{name}", classes="error")
            yield Static(id="command")
            yield Static(self.problem or "", id="problem")
            with Horizontal():
                yield Button("Cancel (esc)", id="cancel", compact=True)
                yield Button("Launch (enter)", id="launch", variant="success", compact=True)

    def _field(self, name: str) -> ComposeResult:
        """A field's label and the field (its error label follows, in the third column)."""
        choice = self.choice
        options = [(kernel_label(k), k.argument or TEST_GUEST) for k in self.kernels]
        known = {value for _, value in options}
        kernel = choice.kernel or TEST_GUEST
        if name == "mode":
            yield Label("what")
            yield Select(RUN_OR_BENCH, value=choice.mode, allow_blank=False, id="mode", compact=True)
        elif name == "kernel":
            yield Label("kernel")
            value = kernel if kernel in known else Select.NULL
            yield Select(options, value=value, prompt="a kernel found here", id="kernel", compact=True)
        elif name == "kernel-path":
            yield Label("or a path")
            path = "" if kernel in known else choice.kernel or ""
            yield self._input("kernel-path", path, "kernel file or kraft project")
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
            yield self._input(name, str(getattr(choice, name)), placeholder)

    def _input(self, name: str, value: str, placeholder: str) -> Input:
        check = FieldCheck("kernel" if name == "kernel-path" else name, self._mode)
        when: tuple[Literal["blur", "changed", "submitted"], ...] = ("blur", "submitted")
        if name not in PATHS:
            when += ("changed",)
        return Input(value, placeholder=placeholder, id=name, compact=True, validators=[check], validate_on=when)

    def _mode(self) -> str:
        mode = self.query_one("#mode", Select).value if self.is_mounted else self.choice.mode
        return mode if isinstance(mode, str) else "run"

    def on_mount(self) -> None:
        """Fields shown as they were left (the form again after a launch that could not start) are
        checked at once; the cursor starts on the first wrong one, else on the first field."""
        wrong = self._check_all()
        (wrong[0] if wrong else self.query_one("#mode", Select)).focus()
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
    def _typed(self, event: Input.Changed) -> None:
        if event.validation_result is not None:
            self._show(event.input, event.validation_result)
        elif event.input.has_class("-invalid"):  # a path being mended: its error goes once it is right
            self._show(event.input, event.input.validate(event.value))
        self._changed()

    @on(Input.Blurred)
    def _left(self, event: Input.Blurred) -> None:
        if event.validation_result is not None:
            self._show(event.input, event.validation_result)

    @on(Select.Changed)
    def _picked(self, event: Select.Changed) -> None:
        if event.select.id == "mode":  # run's guests are a count, a bench's a list: checked again
            guests = self.query_one("#guests", Input)
            self._show(guests, guests.validate(guests.value))
        self._changed()

    def _show(self, field: Input, result: ValidationResult | None) -> None:
        """The field's error beside it (nothing when it is right)."""
        problem = "" if result is None or result.is_valid else "; ".join(result.failure_descriptions)
        self.query_one(f"#error-{field.id}", Label).update(problem)

    def _check_all(self) -> list[Input]:
        """Every text field checked and its error shown: the wrong ones, top to bottom."""
        wrong = []
        for field in self.query(Input):
            result = field.validate(field.value)
            self._show(field, result)
            if result is not None and not result.is_valid:
                wrong.append(field)
        return wrong

    def _changed(self) -> None:
        choice = self.current()
        bench = choice.mode == "bench"
        self.query_one("#label-guests", Label).update("concurrency" if bench else "guests -n")
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
        """Launch, unless a field is wrong: then the cursor goes to the first such field."""
        wrong = self._check_all()
        if wrong:
            wrong[0].focus()
            return
        choice = self.current()
        try:
            choice.argv()
        except LaunchError as error:
            self.query_one("#problem", Static).update(str(error))
            return
        self.dismiss(choice)
