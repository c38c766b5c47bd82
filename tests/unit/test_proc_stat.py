"""`/proc/PID/stat` read by name: a process name with spaces and parentheses does not shift them."""

from __future__ import annotations

import os
import time

from uktrace.recording import proc_stat
from uktrace.recording.inventory import process_start


def test_fields_are_counted_after_the_names_last_parenthesis() -> None:
    raw = b"4242 (qemu (x) 1) S 1 4242 4242 0 -1 4194560 9 0 0 0 250 50 0 0 20 0 7 0 123 0 0\n"
    found = proc_stat.fields(raw)
    assert found[proc_stat.STATE] == b"S" and found[proc_stat.NUM_THREADS] == b"7"
    assert proc_stat.cpu_ns(found) == 300 * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def test_this_process_reads_and_a_gone_one_is_none() -> None:
    found = proc_stat.read(os.getpid())
    assert found is not None and found[proc_stat.STATE] in (b"R", b"S") and int(found[proc_stat.NUM_THREADS]) >= 1
    assert proc_stat.cpu_ns(found) >= 0
    assert proc_stat.read(2**22 + 1) is None  # above pid_max's ceiling: no such process


def test_a_process_start_is_read_from_its_stat() -> None:
    """The inventory's question (does a recording's uktrace still run?) asks the same reader."""
    began = process_start(os.getpid())
    assert began is not None and time.time() - 3600 < began <= time.time() + 1
    assert process_start(2**22 + 1) is None and process_start(0) is None
