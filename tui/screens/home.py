"""The home screen (`uktrace` alone): the recorded runs, the kernels at hand, and keys to replay,
delete, compare and launch.

Reads only: the recordings directory through `inventory` (what `uktrace recordings` lists) and,
on workers, each recording read through (`analysis.overview`) and the kernels nearby
(`kernel.nearby`). What the user opens (a replay, a run) it says in a message (`ReplayChosen`,
`LaunchChosen`); the app shows the run in the usual run views.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from uktrace.analysis.overview import Digest, digest
from uktrace.kernel.nearby import NearbyKernel, nearby_kernels
from uktrace.present.units import format_size
from uktrace.recording.inventory import Recording, list_recordings, recorded_command
from uktrace.recording.prune import PruneError, busy, delete
from uktrace.recording.record import RecordingError

from ..filter_prompt import FilterPrompt
from ..launch_line import LaunchChoice
from ..widgets.footer import KeyFooter
from ..widgets.run_list import RunList
from .confirm import Confirm

if TYPE_CHECKING:
    from .launch_form import LaunchForm


POLL_S = 2.0
"""How often the recordings directory is looked at for runs recorded elsewhere."""


class HomeScreen(FilterPrompt, Screen[None]):
    """Recent runs, newest first; the kernels found where uktrace was started."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "Mark"),
        Binding("c", "compare", "Compare marked"),
        Binding("d", "delete", "Delete"),
        Binding("n", "launch", "New run"),
        Binding("slash", "filter", "Filter"),
        Binding("r", "reload", "Reload", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]
    DEFAULT_CSS = """
    HomeScreen #home-title { height: 1; padding: 0 1; background: $panel; }
    HomeScreen #runs-empty { display: none; padding: 1 2; color: $text-muted; }
    HomeScreen #runs-empty.-shown { display: block; }
    HomeScreen #details { height: auto; max-height: 6; padding: 0 1; border-top: solid $panel-lighten-2; }
    HomeScreen #kernels { height: auto; max-height: 8; padding: 0 1; border-top: solid $panel-lighten-2; }
    HomeScreen #filter { dock: bottom; display: none; border: tall $accent; }
    HomeScreen #filter.-shown { display: block; }
    """

    def __init__(self, base: Path, where: Path) -> None:
        super().__init__(name="home")
        self.base = base
        """The recordings directory listed (`$TMPDIR/uktrace-UID` unless told)."""
        self.where = where
        """Where kernels are looked for: the directory uktrace was started in."""
        self.kernels: list[NearbyKernel] | None = None
        """The kernels nearby; None until the worker has looked."""
        self.seen: int | None = None
        """The recordings directory's modification time when it was last listed."""
        self.read: dict[Path, tuple[tuple[str, int], ...]] = {}
        """What each digest was made from (statuses): a recording that moved on is read again."""

    class ReplayChosen(Message):
        """The user chose a recording to replay."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    class LaunchChosen(Message):
        """The user filled in the launch form: the app checks it and runs it (`launch_refused` if not)."""

        def __init__(self, choice: LaunchChoice) -> None:
            super().__init__()
            self.choice = choice

    def compose(self) -> ComposeResult:
        yield Static(id="home-title")
        yield RunList(id="runs")
        yield Static(id="runs-empty")
        yield Static(id="details")
        yield Static(Text("kernels here: looking…", style="dim"), id="kernels")
        yield Input(placeholder="filter: any words of a row (kernel, status, kind, date, release)", id="filter")
        yield KeyFooter()

    @property
    def runs(self) -> RunList:
        return self.query_one(RunList)

    def on_mount(self) -> None:
        """The list from the small JSON files at once; the kernels and each recording read through
        only once it is drawn (the workers' reading shares the interpreter with the first paint)."""
        self.runs.focus()
        self.reload()
        self.call_after_refresh(self.find_kernels)
        self.set_interval(POLL_S, self._poll)

    def _poll(self) -> None:
        """Runs another uktrace records (a shell beside this one) show up, and their statuses move,
        without a key: the directory is listed again when it changed or while one is being recorded."""
        if not self.is_current:
            return
        seen = _mtime(self.base)
        if seen != self.seen or self.runs.busy:
            self.reload()

    # -- the list ----------------------------------------------------------------------------------

    def reload(self, select: Path | None = None) -> None:
        """List the recordings again (a run just ended, one was deleted) and read the new ones
        through; `select`: put the cursor on that recording (the run the user just left)."""
        self.seen = _mtime(self.base)
        try:
            listing = list_recordings(self.base)
        except RecordingError as error:
            self.notify(str(error), severity="error", timeout=10)
            return
        recordings = listing.recordings
        self.runs.busy = {r.path for r in recordings if busy(r, ours(recordings))}
        self.runs.set_recordings(recordings)
        if select is not None:
            self.runs.select(select)
        title = Text.assemble(
            ("uktrace", "bold"),
            f"  {len(recordings)} recording{'s' if len(recordings) != 1 else ''} in ",
            (str(self.base), "cyan"),
        )
        self.query_one("#home-title", Static).update(title)
        empty = self.query_one("#runs-empty", Static)
        empty.update(
            f"No recordings in {self.base} yet: press n to launch a run (every run records there), "
            "or run `uktrace run` in a shell."
        )
        empty.set_class(not recordings, "-shown")
        stale = [r for r in recordings if self.read.get(r.path) != _signature(r)]
        if stale:
            self.call_after_refresh(self.read_through, stale)

    @work(thread=True, exclusive=True, group="digests", exit_on_error=False)
    def read_through(self, recordings: list[Recording]) -> None:
        """Each recording read through, newest first, its row filled in as soon as it is."""
        worker = get_current_worker()
        for recording in recordings:
            if worker.is_cancelled:  # a newer listing took over (exclusive): it reads what is left
                return
            result = digest(recording)
            self.app.call_from_thread(self._digested, recording, result)

    def _digested(self, recording: Recording, result: Digest) -> None:
        self.read[recording.path] = _signature(recording)
        self.runs.set_digest(recording, result)
        current = self.runs.current
        if current is not None and current.path == recording.path:
            self.show_details()

    @work(thread=True, exclusive=True, group="kernels", exit_on_error=False)
    def find_kernels(self) -> None:
        found = nearby_kernels(self.where)
        self.app.call_from_thread(self._kernels_found, found)

    def _kernels_found(self, found: list[NearbyKernel]) -> None:
        self.kernels = found
        text = Text("kernels here: ", style="bold")
        if not found:
            text.append("none (no kraft project, no multiboot image, test guest not built)", style="dim")
        for index, kernel in enumerate(found):
            if index:
                text.append(" · ")
            text.append(kernel.label, style="cyan")
            kind = "" if kernel.argument is None else kernel.kind
            detail = ", ".join(part for part in (kind, kernel.unikraft) if part)
            if detail:
                text.append(f" ({detail})", style="dim")
        text.append("   n: launch", style="dim")
        self.query_one("#kernels", Static).update(text)

    # -- keys --------------------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#runs")
    def highlighted(self) -> None:
        self.show_details()

    def show_details(self) -> None:
        """The run under the cursor: where it is, what ran it, what it takes on disk."""
        recording = self.runs.current
        details = self.query_one("#details", Static)
        details.display = recording is not None
        if recording is None:
            return
        known = self.runs.digests.get(str(recording.path))
        text = Text(f"Unikraft {known.unikraft} · " if known is not None and known.unikraft else "")
        text.append(str(recording.path), style="cyan")
        command = _command(recording.path)
        if command:
            text.append("\n$ ", style="dim")
            text.append(command, style="bold")
        if known is not None and known.problem:
            text.append(f"\n{known.problem}", style="yellow")
        details.update(text)

    @on(DataTable.RowSelected, "#runs")
    def chosen(self, event: DataTable.RowSelected) -> None:
        self.action_replay()

    def action_replay(self) -> None:
        recording = self.runs.current
        if recording is None:
            return
        if recording.kind == "bench":
            self.notify(
                f"a bench replays cell by cell: uktrace replay {recording.path}/cells/CELL; "
                "mark it with another bench and press c to compare them",
                timeout=8,
            )
            return
        self.post_message(self.ReplayChosen(recording.path))

    def action_mark(self) -> None:
        self.runs.toggle_mark()

    def action_compare(self) -> None:
        marked = self.runs.marked
        if len(marked) < 2:
            self.notify("mark two or more runs with space, then press c", timeout=5)
            return
        from .compare import CompareScreen

        self.app.push_screen(CompareScreen(marked, self.runs.digests))

    def action_delete(self) -> None:
        recording = self.runs.current
        if recording is None:
            return
        if recording.path.parent.resolve() != self.base.resolve():
            self.notify(f"{recording.path} is not in {self.base}: left alone", severity="error")
            return
        if recording.path in self.runs.busy:
            self.notify(f"{recording.path.name} is still being recorded: left alone", severity="warning")
            return
        question = Text.assemble(
            ("Delete this recording?\n\n", "bold"),
            (recording.path.name, "bold cyan"),
            f"\nin {recording.path.parent}",
            f"\n{recording.kind}, {recording.guests} guests, {format_size(recording.size)}; this cannot be undone.",
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(recording)

        self.app.push_screen(Confirm(question), answered)

    def _delete(self, recording: Recording) -> None:
        try:
            delete(recording, ours([recording]))
        except (PruneError, RecordingError) as error:
            self.notify(str(error), severity="error", timeout=10)
        else:
            self.notify(f"deleted {recording.path}", timeout=5)
        self.reload()

    def action_launch(self) -> None:
        from .launch_form import LaunchForm  # its checks import the engine's option parsing: not at start

        self._ask(LaunchForm(self.kernels or []))

    def launch_refused(self, choice: LaunchChoice, problem: str) -> None:
        """The form again, as the user left it, with the reason the command line cannot start."""
        from .launch_form import LaunchForm

        self._ask(LaunchForm(self.kernels or [], choice, problem))

    def _ask(self, form: LaunchForm) -> None:
        def answered(choice: LaunchChoice | None) -> None:
            if choice is not None:
                self.post_message(self.LaunchChosen(choice))

        self.app.push_screen(form, answered)

    def action_reload(self) -> None:
        self.reload()

    # -- filter ------------------------------------------------------------------------------------

    @property
    def filtered(self) -> RunList:
        return self.runs


def ours(recordings: list[Recording]) -> set[Path]:
    """The recordings this very process made (`uktrace run` then `h`, or launched from the form):
    the home screen shows only when no run is open, so each of them is over, though our pid lives."""
    return {r.path for r in recordings if r.recorder == os.getpid()}


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _command(path: Path) -> str | None:
    """The command line that made a recording, to paste into a shell (`uktrace` for whichever
    path ran it)."""
    command = recorded_command(path)
    if command is None:
        return None
    return shlex.join(["uktrace", *command[1:]] if command and "uktrace" in command[0] else command)


def _signature(recording: Recording) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(recording.statuses.items()))
