"""Guests below the tracer (`uktrace.launch.priority`): what may be lowered, and never the tracer."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from uktrace.launch.priority import set_session_nice


def test_the_tracers_own_scheduling_group_is_never_lowered() -> None:
    """Lowering a session's group is for a guest that leads its own session (a `--tty` launcher):
    asked for a process in the tracer's session, it must refuse, or the tracer would lower itself."""
    autogroup = Path("/proc/self/autogroup")
    before = autogroup.read_text() if autogroup.exists() else None
    assert set_session_nice(os.getpid(), 19) is False
    child = subprocess.Popen(["sleep", "5"], process_group=0)  # a group of its own, in our session
    try:
        assert set_session_nice(child.pid, 19) is False
    finally:
        child.kill()
        child.wait()
    if before is not None:
        assert autogroup.read_text() == before
