"""What views do to a live fleet, with real QEMU guests: relaunch after the run, stall watch."""

from __future__ import annotations

import errno
import json
import os
import time
from dataclasses import fields
from pathlib import Path

import anyio
import pytest

from uktrace.analysis.results import fleet_results
from uktrace.cli.headless import run_footer
from uktrace.cli.run import exit_status
from uktrace.launch.fleet import Fleet
from uktrace.launch.options import RunOptions, prepare
from uktrace.launch.priority import idle_policy_allowed
from uktrace.launch.qemu import qemu_argv
from uktrace.model.console_tail import ConsoleTail
from uktrace.model.guest import Guest
from uktrace.model.integrity import IntegrityWatch
from uktrace.model.timeline import BootTimeline, Status
from uktrace.recording.record import GuestRecorder

pytestmark = pytest.mark.anyio


def quick_stalls(fleet: Fleet) -> Fleet:
    """The stall watch at a tenth of its thresholds (the defaults are unit-tested in test_stall.py):
    what it does is the same, the test waits 2.5 s instead of 15 before a silent guest is stalled."""
    fleet.stall_poll_s = 0.25
    for guest in fleet.guests:
        guest.stall_s, guest.stall_first_s = 0.5, 2.5
    return fleet


async def wait_until(condition: object, seconds: float = 60) -> None:
    with anyio.fail_after(seconds):
        while not condition():  # type: ignore[operator]
            await anyio.sleep(0.02)


async def test_a_relaunch_after_the_run_keeps_the_start_spread_and_records_apart(tmp_path: Path) -> None:
    specs, shares = prepare(RunOptions(count=3))
    fleet = Fleet(specs, record_dir=tmp_path / "rec")
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(fleet.run, True)
            await wait_until(lambda: fleet.finished_ns is not None)
            spread = fleet.start_spread()
            assert spread is not None and spread < 0.5
            await anyio.sleep(1.5)  # the relaunch comes well after the first wave
            first = fleet.guests[0]
            assert fleet.relaunch(first)
            await wait_until(lambda: first.attempt == 2 and first.timeline.status.finished and not first.running)
            fleet.stop()
    finally:
        shares.cleanup()
    assert fleet.start_spread() == spread  # the run's start, not the relaunch 1.5 s later
    assert [g.timeline.status for g in fleet.guests] == [Status.EXITED] * 3
    assert first.recording == tmp_path / "rec" / "guest-1.2"
    assert (tmp_path / "rec" / "guest-1" / "guest.json").is_file()


RUN_WIDE = {"index", "spec", "attempt", "first_spawn_ns", "first_start_ns", "changes", "stall_s", "stall_first_s"}
"""A guest's fields that span its attempts: who it is, its first start, its stall thresholds."""


def attempt_state(guest: Guest) -> dict[str, object]:
    """Every field an attempt owns (all but `RUN_WIDE`), comparable across two guests."""
    state: dict[str, object] = {}
    for each in fields(Guest):
        value = getattr(guest, each.name)
        if each.name in RUN_WIDE:
            continue
        if isinstance(value, BootTimeline):
            value = (value.status, value.spawn_ns, value.ending)
        elif isinstance(value, IntegrityWatch):
            value = value.verdict
        elif isinstance(value, ConsoleTail):
            value = list(value)
        state[each.name] = value
    return state


async def test_a_relaunch_starts_every_field_of_the_attempt_over(tmp_path: Path) -> None:
    """Nothing of the last attempt lingers in the new one: not its exit, not its start gate, not
    its recording or command line; only who the guest is and its first start stay."""
    specs, shares = prepare(RunOptions(count=1))
    fleet = Fleet(specs, record_dir=tmp_path / "rec")
    guest = fleet.guests[0]
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(fleet.run, True)
            await wait_until(lambda: fleet.finished_ns is not None)
            assert guest.gated and guest.exit_ns is not None and guest.received > 0  # the first attempt's
            first_spawn = guest.spawn_ns
            assert fleet.relaunch(guest)
            fresh = Guest(guest.index, guest.spec, qemu_argv(guest.spec), BootTimeline(guest.name))
            assert attempt_state(guest) == attempt_state(fresh)  # before the new attempt begins
            assert (guest.attempt, guest.first_spawn_ns) == (2, first_spawn)
            await wait_until(lambda: guest.timeline.status.finished and not guest.running)
            fleet.stop()
    finally:
        shares.cleanup()
    assert guest.recording == tmp_path / "rec" / "guest-1.2"


async def test_a_guest_that_never_prints_is_shown_stalled_with_what_its_qemu_does(tmp_path: Path) -> None:
    # 1 MiB of RAM: SeaBIOS cannot even start the kernel, the console stays empty
    specs, shares = prepare(RunOptions(count=1, memory="1"))
    fleet = quick_stalls(Fleet(specs, record_dir=tmp_path / "rec"))
    guest = fleet.guests[0]
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(fleet.run, False)
            await wait_until(lambda: guest.stall is not None and guest.stall.cpu_share is not None, 40)
            assert guest.received == 0
            assert guest.stalled(time.monotonic_ns())
            quiet = guest.quiet_s(time.monotonic_ns())
            # no first line: the firmware's longer allowance, not the one after a first line
            assert quiet is not None and quiet >= guest.stall_first_s > guest.stall_s
            stall = guest.stall
            assert stall is not None and stall.state in "RSD"
            assert stall.cpu_share is not None and stall.cpu_share >= 0
            fleet.stop()
    finally:
        shares.cleanup()
    assert guest.timeline.status is Status.STOPPED
    assert guest.stall is None or not guest.running
    assert guest.quiet_s(time.monotonic_ns()) is None  # over: no longer quiet, only finished


def group_nice(pid: int) -> int | None:
    """`/autogroup-123 nice 19` → 19; None for a process in no session group of its own (one
    that never called setsid, as a CI runner's processes may be: the file is then empty)."""
    words = Path(f"/proc/{pid}/autogroup").read_text().split()
    return int(words[-1]) if words else None


def is_qemu(pid: int) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/exe").endswith("qemu-system-x86_64")
    except OSError:
        return False


@pytest.mark.parametrize("lower", [True, False])
async def test_guests_run_apart_at_normal_priority_or_below_the_tracer(tmp_path: Path, lower: bool) -> None:
    """By default: normal priority and the ordinary policy, every QEMU in one session apart from the
    tracer's (one scheduling group for all the guests), each in a process group of its own, while
    the tracer's own thread yields to them (the batch policy, its own restored after the run).
    Lowered: idle policy and nice 19, in the tracer's session, the tracer at its own policy. Never
    are the tracer's nice or group touched."""
    specs, shares = prepare(RunOptions(count=4, append="uktrace.fault=hang"))
    fleet = Fleet(specs, record_dir=tmp_path / "rec", lower_guests=lower)
    own_nice, own_group = os.getpriority(os.PRIO_PROCESS, 0), group_nice(os.getpid())
    own_policy = os.sched_getscheduler(0)
    idle = lower and idle_policy_allowed()
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(fleet.run, False)
            # QEMU itself started (the launch chain setpriv, chrt, nice has exec'd it) is enough: at the
            # idle policy a guest may not run at all while the host is busy, so no console line waits
            await wait_until(lambda: all(g.process is not None and is_qemu(g.process.pid) for g in fleet.guests))
            pids = [g.process.pid for g in fleet.guests if g.process is not None]
            assert len(pids) == 4
            assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in pids] == [own_nice + (19 if lower else 0)] * 4
            policy = os.SCHED_IDLE if idle else os.SCHED_OTHER
            assert [os.sched_getscheduler(pid) for pid in pids] == [policy] * 4
            # once the wave is out (its release runs at the ordinary policy: it must come first)
            await wait_until(lambda: all(g.timeline.release_ns is not None for g in fleet.guests))
            await wait_until(lambda: os.sched_getscheduler(0) == (own_policy if lower else os.SCHED_BATCH))
            sessions = {os.getsid(pid) for pid in pids}
            assert sessions == {os.getsid(0)} if lower else (len(sessions) == 1 and os.getsid(0) not in sessions)
            assert [os.getpgid(pid) for pid in pids] == pids
            assert (os.getpriority(os.PRIO_PROCESS, 0), group_nice(os.getpid())) == (own_nice, own_group)
            fleet.stop()
    finally:
        shares.cleanup()
    assert os.sched_getscheduler(0) == own_policy
    assert fleet.usage.policy == ("normal" if lower else "batch")
    assert [(g.nice, g.idle_policy, g.apart) for g in fleet.guests] == [(19 if lower else None, idle, not lower)] * 4
    host = json.loads((tmp_path / "rec" / "guest-1" / "guest.json").read_text())["host"]
    assert (host["nice"], host["idle_policy"], host["apart"]) == (19 if lower else None, idle, not lower)


async def test_a_timeout_says_what_the_quiet_qemu_was_doing(tmp_path: Path) -> None:
    specs, shares = prepare(RunOptions(count=1, memory="1"))
    fleet = quick_stalls(Fleet(specs, timeout=5, record_dir=tmp_path / "rec"))  # stalled from 2.5 s
    try:
        await fleet.run()
    finally:
        shares.cleanup()
    timeline = fleet.guests[0].timeline
    assert timeline.status is Status.TIMEOUT and timeline.ending is not None
    assert timeline.ending.reason.startswith("no exit after 5 s before the first guest line; no output for the last ")
    assert "QEMU busy" in timeline.ending.reason or "% CPU" in timeline.ending.reason


class FullDisk:
    """A file on a disk with no space left: every write fails, as on a full tmpfs."""

    closed = False

    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        self.closed = True


async def test_a_full_disk_loses_no_verdict_and_is_said_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GuestRecorder, "_file", lambda self, name, text=False: FullDisk())
    specs, shares = prepare(RunOptions(count=2, append="uktrace.fault=flood=64"))
    fleet = Fleet(specs, record_dir=tmp_path / "rec")
    try:
        await fleet.run()
    finally:
        shares.cleanup()
    # tracing went on from memory: every guest exited, its integrity judged on what was received
    assert [(g.timeline.status, g.integrity) for g in fleet.guests] == [(Status.EXITED, "ok")] * 2
    assert all(g.received > 64 * 1024 for g in fleet.guests)
    assert fleet.recording_errors and "No space left on device" in fleet.recording_errors[0]
    assert str(tmp_path / "rec" / "guest-") in fleet.recording_errors[0]  # which recording
    assert fleet_results(fleet)["summary"]["recording_errors"] == fleet.recording_errors
    assert exit_status(fleet) == 1
    assert "NOT fully recorded" in run_footer(fleet).plain
