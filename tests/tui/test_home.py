"""The home screen (`uktrace` alone) on a recordings directory made of real recordings: list,
filter, replay and back home, delete after asking, compare marked runs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from rich.console import RenderableType
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Select

from tests.tui.conftest import RECORDINGS, SIZE, screen_text, still
from tests.unit.test_home_engine import with_libinfo
from uktrace.analysis.compare import compare
from uktrace.analysis.overview import digest
from uktrace.kernel.find import TEST_GUEST
from uktrace.present.units import format_seconds
from uktrace.recording.inventory import list_recordings
from uktrace.recording.record import mark
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.app import HOME
from uktrace.tui.cli import launch
from uktrace.tui.home_app import HomeApp
from uktrace.tui.run_app import RunApp
from uktrace.tui.screens.compare import CompareScreen
from uktrace.tui.screens.confirm import Confirm
from uktrace.tui.screens.fleet import FleetScreen
from uktrace.tui.screens.home import HomeScreen
from uktrace.tui.widgets.run_list import RunList

pytestmark = pytest.mark.anyio


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A recordings directory holding copies of two real recordings, and a file that is none."""
    base = tmp_path / "recordings"
    base.mkdir()
    for name in ("shared-8", "crash-3"):
        shutil.copytree(RECORDINGS / name, base / name)
        mark(base / name)  # as this uktrace leaves them (the committed ones predate the marker)
    (base / "notes.txt").write_text("not a recording: never listed, never deleted\n")
    return base


def home_app(base: Path, where: Path) -> HomeApp:
    app = HomeApp(launch, base, where)
    still(app)
    return app


async def read_through(pilot: Pilot[Any]) -> HomeScreen:
    """Wait until every row is read through (release, total) and the kernels were looked for."""
    app = pilot.app
    with anyio.fail_after(20):
        while not isinstance(app.screen, HomeScreen):
            await pilot.pause(0.01)
        home = app.screen
        while home.kernels is None or len(home.runs.digests) < len(home.runs.recordings):
            await pilot.pause(0.02)
    await pilot.pause()
    return home


async def shown(pilot: Pilot[Any], words: str) -> str:
    """The screen's text once `words` are on it (a modal takes a frame or two to draw)."""
    with anyio.fail_after(10):
        while words not in (text := screen_text(pilot.app)):  # type: ignore[arg-type]
            await pilot.pause(0.05)
    return text


def rows(app: HomeApp) -> list[str]:
    table = app.screen.query_one(RunList)
    return [Path(str(key.value)).name for key in table.rows]


async def test_lists_the_runs_newest_first_with_their_release_and_total(base: Path, tmp_path: Path) -> None:
    app = home_app(base, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await read_through(pilot)
        listed = [r.path.name for r in list_recordings(base).recordings]
        assert rows(app) == listed == ["shared-8", "crash-3"]
        text = screen_text(app)
        for recording in list_recordings(base).recordings:
            known = await anyio.to_thread.run_sync(digest, recording)
            assert known.unikraft and known.unikraft.split(" (")[0] in text  # the version; the details say more
            # a guest that crashed reached no total (`figures.readings`): crash-3 has none to show
            assert (known.total_p50 is None) == (recording.path.name == "crash-3")
            assert known.total_p50 is None or format_seconds(known.total_p50) in text
        assert "8 exited" in text and "3 crashed" in text
        assert "Unikraft 0.10.0 (Testguest)" in text  # the run under the cursor, in full
        assert "notes.txt" not in text


@pytest.mark.skipif(not TEST_GUEST.is_file() or shutil.which("objcopy") is None, reason="needs the test guest, objcopy")
async def test_a_kernel_whose_image_names_no_codename_shows_its_version_alone(base: Path, tmp_path: Path) -> None:
    build = tmp_path / "app" / ".unikraft" / "build"
    build.mkdir(parents=True)
    shutil.copy(TEST_GUEST, build / "app_qemu-x86_64")
    with_libinfo(build / "app_qemu-x86_64", [(0x0007, b"0.17.0~5cc9ac1\0")])
    app = home_app(base, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await read_through(pilot)
        assert "./app (kraft project, 0.17.0)" in screen_text(app)
        await pilot.press("n")
        await shown(pilot, "launch")
        select = app.screen.query_one("#kernel", Select)
        assert str(select.selection) == "./app"
        assert "./app  (kraft project, 0.17.0)" in screen_text(app)
        assert "()" not in screen_text(app)


async def test_the_list_is_drawn_before_any_recording_or_kernel_is_read(base: Path, tmp_path: Path) -> None:
    """The first frame with the rows comes before the reading: a worker started with the screen
    shares the interpreter (and the import lock) with the first paint, which waited for it."""
    first: list[tuple[int, set[str]]] = []

    class Watched(HomeApp):
        def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
            # Textual's private per-frame hook: where a frame is known to have been drawn
            super()._display(screen, renderable)
            if not first and isinstance(screen, HomeScreen) and screen.runs.row_count:
                first.append((screen.runs.row_count, {str(worker.group) for worker in self.workers}))

    app = still(Watched(launch, base, tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        home = await read_through(pilot)
        assert first == [(2, set())]  # drawn with both rows, nothing read through yet
        assert len(home.runs.digests) == 2 and home.kernels is not None  # read through after


async def test_filter_keeps_the_rows_with_every_word(base: Path, tmp_path: Path) -> None:
    app = home_app(base, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await read_through(pilot)
        await pilot.press("slash", *"crashed")
        assert rows(app) == ["crash-3"]
        await pilot.press("enter")  # the filter stays; the list has the keys again
        assert rows(app) == ["crash-3"]
        await pilot.press("escape")
        assert rows(app) == ["shared-8", "crash-3"]


async def test_enter_replays_the_run_and_h_comes_back_home(base: Path, tmp_path: Path) -> None:
    app = home_app(base, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await read_through(pilot)
        await pilot.press("down", "enter")
        assert isinstance(app.screen, FleetScreen) and app.run_screen is not None
        fleet = app.run_screen.fleet
        assert isinstance(fleet, ReplayFleet) and fleet.record_dir == base / "crash-3"
        await pilot.press("2")  # the run's other views work as in `uktrace replay`
        assert app.screen.name == "summary"
        await pilot.press("h")
        with anyio.fail_after(10):
            while not isinstance(app.screen, HomeScreen):
                await pilot.pause(0.02)
        assert app.run_screen is None
        assert rows(app) == ["shared-8", "crash-3"]
        await pilot.press("2")  # a run view's key at home: nothing
        assert isinstance(app.screen, HomeScreen)


async def test_delete_asks_first_and_removes_only_that_recording(base: Path, tmp_path: Path) -> None:
    app = home_app(base, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await read_through(pilot)
        await pilot.press("down", "d")
        assert isinstance(app.screen, Confirm)
        text = await shown(pilot, "Delete this recording?")
        assert "crash-3" in text and "shared-8" not in text and "cannot be undone" in text
        await pilot.press("n")
        assert isinstance(app.screen, HomeScreen)
        assert (base / "crash-3").is_dir()
        await pilot.press("d", "y")
        await pilot.pause()
        assert not (base / "crash-3").exists()
        assert rows(app) == ["shared-8"]
        assert (base / "shared-8" / "session.json").is_file()
        assert (base / "notes.txt").is_file()


async def test_compare_two_marked_runs_shows_compares_verdicts_and_box_plots(base: Path, tmp_path: Path) -> None:
    app = home_app(base, tmp_path)
    async with app.run_test(size=(140, 80)) as pilot:
        await read_through(pilot)
        await pilot.press("c")  # nothing marked: says how
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("space", "down", "space", "c")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        with anyio.fail_after(20):
            while screen.inputs is None:
                await pilot.pause(0.02)
        await pilot.pause()
        text = screen_text(app)
    # the oldest marked run is the baseline, as `uktrace compare A B` takes it
    recordings = {r.path.name: r for r in list_recordings(base).recordings}
    a, b = [(await anyio.to_thread.run_sync(digest, recordings[name])).samples for name in ("crash-3", "shared-8")]
    assert a is not None and b is not None
    expected = compare(a, b)
    assert [s.source for s in screen.inputs] == [a.source, b.source]
    verdicts = {m.metric: m.verdict for m in expected.cells[0].metrics}
    assert set(verdicts.values()) == {"can't tell", "missing"}  # 3 guests in crash-3: too few for any interval
    assert "A = crash-3" in text and "B = shared-8" in text
    for line in text.splitlines():
        words = line.split()
        if len(words) > 1 and words[0] == "│" and words[1] in verdicts:  # compare's table rows
            assert verdicts[words[1]] in line
    assert "├" in text and "█" in text  # box plots
    assert sum(f"■ {metric}" in text for metric in verdicts) == len(verdicts)
    # one run a side: the host-clock figures can't tell, said beside their box plots and why below the table
    undecided = [metric for metric, verdict in verdicts.items() if verdict == "can't tell"]
    assert {"spawn", "firmware"} <= set(undecided)
    lines = text.splitlines()
    for metric in undecided:  # the verdict of B against A, on B's row below the metric's name
        (at,) = [i for i, line in enumerate(lines) if f"■ {metric} " in line]
        assert lines[at + 1].split()[0] == "B" and lines[at + 1].rstrip().endswith("can't tell"), lines[at + 1]
    said = " ".join(text.split())
    assert "1 run in A and 1 in B, too few for an interval (2+ a side)" in said
    assert "3 guests in A and 8 in B, too few for an interval (5+ a side); it needs 2 more guests in A" in said


async def test_uktrace_alone_without_a_terminal_is_still_a_usage_error() -> None:
    script = Path(sys.executable).with_name("uktrace")  # the console script beside this interpreter
    process = await anyio.run_process([str(script)], check=False, stdin=subprocess.DEVNULL)
    assert process.returncode == 2
    assert b"usage: uktrace" in process.stdout


def test_home_screen_snapshot(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled recordings as the home screen lists them (relative paths, UTC: the same on every machine)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        app = home_app(RECORDINGS, Path("tests/data"))
        assert snap_compare(app, terminal_size=SIZE, run_before=read_through)
    finally:
        monkeypatch.undo()
        time.tzset()


async def test_h_in_a_run_opened_from_the_command_line_stops_it_and_asks_for_home() -> None:
    fleet = ReplayFleet(RECORDINGS / "crash-3", speed=0)
    app = still(RunApp(fleet, title="uktrace replay crash-3"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        with anyio.fail_after(10):
            while app.return_code is None:
                await pilot.pause(0.02)
    assert app.return_value == HOME  # tui.cli opens the home screen once the command has printed its tables
    assert app.run_view.over


async def test_a_run_recorded_elsewhere_shows_up_without_a_key(base: Path, tmp_path: Path) -> None:
    app = home_app(base, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await read_through(pilot)
        shutil.copytree(RECORDINGS / "format-1-crash-3", base / "from-a-shell")  # as another uktrace would
        with anyio.fail_after(10):
            while "from-a-shell" not in rows(app):
                await pilot.pause(0.1)
        assert rows(app) == ["shared-8", "crash-3", "from-a-shell"]  # newest first: it is the oldest


def test_compare_screen_snapshot(snap_compare: Any) -> None:
    """Two bundled recordings marked and compared: box plots on one axis per phase, verdicts, tables."""

    async def compared(pilot: Pilot[Any]) -> None:
        await read_through(pilot)
        await pilot.press("space", "down", "space", "c")
        screen = pilot.app.screen
        assert isinstance(screen, CompareScreen)
        with anyio.fail_after(20):
            while screen.inputs is None:
                await pilot.pause(0.02)
        await pilot.pause()

    app = home_app(RECORDINGS, Path("tests/data"))
    assert snap_compare(app, terminal_size=(120, 50), run_before=compared)


def test_launch_form_snapshot(snap_compare: Any) -> None:
    async def form(pilot: Pilot[Any]) -> None:
        home = await read_through(pilot)
        assert home.kernels is not None
        await pilot.press("n", "tab", "tab", "tab", *"4x")  # guests: 4x, said wrong beside it
        await pilot.pause()

    app = home_app(RECORDINGS, Path("tests/data"))
    assert snap_compare(app, terminal_size=SIZE, run_before=form)


async def test_sigterm_at_home_ends_the_app_cleanly(base: Path, tmp_path: Path) -> None:
    app = home_app(base, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await read_through(pilot)
        os.kill(os.getpid(), signal.SIGTERM)  # the app's handler, not Python's default, takes it
        with anyio.fail_after(10):
            while app.return_code is None:
                await pilot.pause(0.02)
    assert app.return_code == 128 + signal.SIGTERM
