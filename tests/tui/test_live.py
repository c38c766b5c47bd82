"""The TUI over real QEMU guests (the project's test guest, TCG): boot, type, stop, quit clean."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import pytest

from tests.tui.conftest import SIZE, still
from uktrace.cli.bench import CellView
from uktrace.cli.run import exit_status
from uktrace.kernel.find import TEST_GUEST
from uktrace.launch.fleet import Fleet
from uktrace.launch.options import RunOptions, prepare
from uktrace.model.timeline import Status
from uktrace.recording.reader import read_guest
from uktrace.tui.app import UktraceApp
from uktrace.tui.screens.guest import GuestScreen
from uktrace.tui.widgets.fleet_table import FleetTable

if shutil.which("qemu-system-x86_64") is None or not TEST_GUEST.is_file():
    pytest.skip("needs qemu-system-x86_64 and the built test guest (make test does both)", allow_module_level=True)

pytestmark = [pytest.mark.anyio, pytest.mark.qemu]


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def run_until(app: UktraceApp, condition: str, pids: set[int], seconds: float = 60) -> None:
    """Let the app run until `condition` holds for the fleet; note every QEMU pid seen meanwhile."""
    fleet = app.fleet
    checks = {
        "all exited": lambda: all(g.timeline.status is Status.EXITED and not g.running for g in fleet.guests),
        "all in bus_probe": lambda: all(g.timeline.current == "bus_probe" and g.running for g in fleet.guests),
    }
    with anyio.fail_after(seconds):
        while not checks[condition]():
            pids.update(g.process.pid for g in fleet.guests if g.process is not None)
            await anyio.sleep(0.02)


async def quit_and_wait(app: UktraceApp) -> None:
    with anyio.fail_after(20):
        while app.return_code is None:
            await anyio.sleep(0.02)


async def test_four_guests_boot_to_exit_then_q_leaves_no_qemu(tmp_path: Path) -> None:
    specs, shares = prepare(RunOptions(count=4))
    fleet = Fleet(specs, record_dir=tmp_path / "rec")
    app = still(UktraceApp(fleet, title="uktrace run -n 4", screenshot_dir=tmp_path))
    pids: set[int] = set()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await run_until(app, "all exited", pids)
            await pilot.pause(0.2)
            table = app.screen.query_one(FleetTable)
            assert [g.name for g in table.rows] == ["guest-1", "guest-2", "guest-3", "guest-4"]
            assert table.redraws >= 4
            await pilot.press("q")
            await quit_and_wait(app)
    finally:
        shares.cleanup()
    assert {g.timeline.status for g in fleet.guests} == {Status.EXITED}
    assert all(g.timeline.exit_code == 0 for g in fleet.guests)
    assert len(pids) == 4 and not any(alive(pid) for pid in pids)
    assert app.run_view.over


async def test_type_stop_and_quit_while_guests_hang(tmp_path: Path) -> None:
    # uktrace.fault=hang: the guest stops in its PCI probe and never exits by itself
    specs, shares = prepare(RunOptions(count=2, append="uktrace.era=0.10 uktrace.fault=hang"))
    fleet = Fleet(specs, record_dir=tmp_path / "rec")
    app = still(UktraceApp(fleet, title="uktrace run -n 2 (hang)", screenshot_dir=tmp_path))
    pids: set[int] = set()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await run_until(app, "all in bus_probe", pids)
            await pilot.press("enter")
            assert isinstance(app.screen, GuestScreen)
            await pilot.press("i", *"hello", "enter")
            assert app.screen.query_one("#type").has_class("-shown")  # sent: the prompt stays for more
            console_bytes = fleet.guests[0].received
            await pilot.press("escape", "x")
            with anyio.fail_after(10):
                while fleet.guests[0].running:
                    await pilot.pause(0.02)
            first = fleet.guests[0].timeline
            assert first.status is Status.STOPPED and first.ending is not None
            assert first.ending.reason == "stopped by the user in bus_probe"
            assert fleet.guests[0].received >= console_bytes
            assert fleet.guests[1].running
            await pilot.press("escape", "q")
            await quit_and_wait(app)
    finally:
        shares.cleanup()
    assert not any(g.running for g in fleet.guests)
    second = fleet.guests[1].timeline  # `q` while it ran: QEMU exits 0 on SIGTERM, the guest did not exit
    assert second.status is Status.STOPPED and second.ending is not None
    assert second.ending.reason == "run stopped by the user in bus_probe"
    assert read_guest(tmp_path / "rec" / "guest-2").meta["status"] == "stopped"
    assert exit_status(fleet) == 1
    assert len(pids) == 2 and not any(alive(pid) for pid in pids)


async def test_an_app_ending_any_other_way_still_stops_every_guest(tmp_path: Path) -> None:
    specs, shares = prepare(RunOptions(count=1, append="uktrace.era=0.10 uktrace.fault=hang"))
    fleet = Fleet(specs, record_dir=tmp_path / "rec")
    app = still(UktraceApp(fleet, title="uktrace run (hang)", screenshot_dir=tmp_path))
    pids: set[int] = set()
    try:
        async with app.run_test(size=SIZE):
            await run_until(app, "all in bus_probe", pids)
            app.exit(return_code=1)  # not `q`: as if the app failed
    finally:
        shares.cleanup()
    assert not fleet.guests[0].running
    assert fleet.guests[0].timeline.status is Status.STOPPED
    assert len(pids) == 1 and not any(alive(pid) for pid in pids)


@pytest.mark.parametrize("key", ["q", "ctrl+q", "ctrl+c"])
async def test_every_quit_key_stops_running_and_waiting_guests(tmp_path: Path, key: str) -> None:
    # -j 1: guest-1 hangs in its PCI probe, guest-2 and guest-3 wait for its slot
    specs, shares = prepare(RunOptions(count=3, append="uktrace.era=0.10 uktrace.fault=hang"))
    fleet = Fleet(specs, jobs=1, record_dir=tmp_path / "rec")
    app = still(UktraceApp(fleet, title="uktrace run -n 3 -j 1 (hang)", screenshot_dir=tmp_path))
    try:
        async with app.run_test(size=SIZE) as pilot:
            with anyio.fail_after(60):
                while fleet.guests[0].timeline.current != "bus_probe":
                    await anyio.sleep(0.02)
            await pilot.press(key)
            await quit_and_wait(app)
    finally:
        shares.cleanup()
    statuses = [(g.timeline.status, g.timeline.ending.reason if g.timeline.ending else None) for g in fleet.guests]
    assert statuses == [
        (Status.STOPPED, "run stopped by the user in bus_probe"),
        (Status.STOPPED, "run stopped by the user before it started"),
        (Status.STOPPED, "run stopped by the user before it started"),
    ]
    assert fleet.counts()["stopped"] == 3 and fleet.counts()["exited"] == 0
    assert exit_status(fleet) == 1


async def test_a_bench_cell_runs_in_the_tui_as_a_run_does(tmp_path: Path) -> None:
    """`uktrace bench` on a terminal shows each cell through `CellView`: every member the views
    read must be there (a missing one crashed every traced cell of a TUI bench once)."""
    specs, shares = prepare(RunOptions(count=2))
    view = CellView(Fleet(specs, record_dir=tmp_path / "rec"))
    app = still(UktraceApp(view, title="uktrace bench · cell 1/1", screenshot_dir=tmp_path))
    pids: set[int] = set()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await run_until(app, "all exited", pids)
            await pilot.pause(0.2)
            assert [g.name for g in app.screen.query_one(FleetTable).rows] == ["guest-1", "guest-2"]
    finally:
        shares.cleanup()
    assert {g.timeline.status for g in view.guests} == {Status.EXITED}
    assert not view.stopped_by_user and not any(alive(pid) for pid in pids)
