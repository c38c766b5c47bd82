"""The guests' session: every guest started in one session apart from uktrace's, its status and
cost reported, its signals its own, and nothing left when uktrace dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from uktrace.launch.guest_session import GuestSession
from uktrace.launch.process import GuestProcess

pytestmark = pytest.mark.anyio


@pytest.fixture
def session() -> Iterator[GuestSession]:
    session = GuestSession()
    yield session
    session.close()


async def test_guests_share_one_session_apart_from_ours_each_in_its_own_group(session: GuestSession) -> None:
    code = "import os; print(os.getsid(0), os.getpgrp(), os.getpid(), os.getpriority(os.PRIO_PROCESS, 0))"
    guests = [GuestProcess([sys.executable, "-c", code], session=session) for _ in range(3)]
    seen = []
    for guest in guests:
        output = b""
        while chunk := await guest.read_console():
            output += chunk
        assert await guest.wait() == 0
        seen.append([int(word) for word in output.split()])
        guest.close()
    sessions = {sid for sid, _, _, _ in seen}
    assert len(sessions) == 1 and os.getsid(0) not in sessions
    assert all(group == pid for _, group, pid, _ in seen)
    assert {nice for *_, nice in seen} == {os.getpriority(os.PRIO_PROCESS, 0)}
    assert all(guest.apart and guest.cpu_total_ns is not None and guest.cpu_total_ns > 0 for guest in guests)


async def test_exit_status_and_signals_are_the_guests_own(session: GuestSession) -> None:
    exits = GuestProcess([sys.executable, "-c", "import sys; sys.exit(3)"], session=session)
    assert await exits.wait() == 3 and exits.poll() == 3
    sleeper = GuestProcess(["sleep", "30"], session=session)
    assert sleeper.poll() is None
    with anyio.fail_after(10):
        assert await sleeper.stop() == -signal.SIGTERM  # the leader ignores SIGTERM; its children do not
    assert sleeper.exited_ns is not None and sleeper.exited_ns >= sleeper.spawn_ns


async def test_a_missing_program_is_an_error_at_spawn(session: GuestSession) -> None:
    with pytest.raises(FileNotFoundError):
        session.spawn(["/nonexistent/qemu-system-x86_64"], None, (0, 1, 2))


def test_no_guest_outlives_a_killed_tracer(tmp_path: Path) -> None:
    """SIGKILL of uktrace: its end of the socket closes, the leader kills every guest's group."""
    tracer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from uktrace.launch.process import GuestProcess;"
            " from uktrace.launch.guest_session import guest_session;"
            " g = GuestProcess(['sleep', '60'], session=guest_session());"
            " print(g.pid, guest_session().leader.pid, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert tracer.stdout is not None
    guest, leader = map(int, tracer.stdout.readline().split())
    tracer.kill()
    tracer.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in (guest, leader)):
        time.sleep(0.05)
    assert not _alive(guest) and not _alive(leader)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_a_guest_that_exits_at_once_is_still_watched(session: GuestSession) -> None:
    """The leader may release a child before uktrace looks at it: the pidfd comes from the leader,
    opened before any release (a pidfd_open of ours found no such process: 'cannot start')."""
    guests = [GuestProcess(["true"], session=session) for _ in range(20)]
    with anyio.fail_after(30):
        assert [await guest.wait() for guest in guests] == [0] * 20
    for guest in guests:
        guest.close()
