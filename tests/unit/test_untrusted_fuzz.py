"""Fuzzing the commands that open a recording (issue 21): each case mutates one field of a real
recording's JSON files, or swaps one of its files for a link leading out, a FIFO, a huge sparse
file or garbage, then runs replay, export, compare, blame or recordings on it. Whatever the case:
no traceback, no hang (each case under `CASE_S` seconds), nothing of a file outside the recording
in the output, and nothing written anywhere."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.export_data import SHARED
from uktrace.cli.main import main

CASE_S = 60
"""A case taking longer than this hangs (a replay of two guests takes well under a second; a host
loaded 30 times over its CPUs has made one take 20 s)."""
SECRET = "uktrace-fuzz-secret-outside"
GUESTS = ("guest-1", "guest-2")
FILES = (
    "session.json",
    "guest-1/guest.json",
    "guest-1/console.raw",
    "guest-1/chunks.tsv",
    "guest-1/stderr.log",
    "guest-2",
    "kernels",
)
COMMANDS = (
    ["replay", "--headless", "--speed", "0"],
    ["replay", "--headless", "--json", "--speed", "0"],
    ["export", "-f", "csv"],
    ["export", "-f", "json"],
    ["export", "-f", "asciicast"],
    ["export", "-f", "perfetto"],
    ["export", "-f", "csv", "-o", "OUT", "--force"],
    ["compare", str(SHARED)],
    ["blame"],
    ["recordings", "--dir"],
    ["recordings", "--json", "--dir"],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e300, -1e300, 2**63, 10**400, "", "[/red]", "\x1b]0;x\x07", "../../etc/passwd", "/etc/passwd"])
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
swaps = st.sampled_from(["link-out", "link-zero", "fifo", "sparse", "garbage", "deep", "empty", "directory"])


def base() -> Path:
    """shared-8 cut to two guests: the same files, a quarter of the replay's work."""
    root = Path(tempfile.mkdtemp(prefix="uktrace-fuzz-base-"))
    recording = root / "rec"
    recording.mkdir()
    for name in ("session.json", "kernels", *GUESTS):
        source = SHARED / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, recording / name)
    session = json.loads((recording / "session.json").read_text())
    (recording / "session.json").write_text(json.dumps(session | {"guests": list(GUESTS)}))
    return root


BASE = base()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value: keys and list indexes from the top."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        yield from paths(item, (*prefix, key))


def mutate(document: Any, where: tuple[Any, ...], value: Any) -> Any:
    if not where:
        return value
    parent = document
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    return document


def swap(path: Path, how: str, outside: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    if how == "link-out":
        path.symlink_to(outside)
    elif how == "link-zero":
        path.symlink_to("/dev/zero")
    elif how == "fifo":
        os.mkfifo(path)
    elif how == "sparse":
        with path.open("wb") as file:
            file.truncate(1 << 40)
    elif how == "garbage":
        path.write_bytes(b"\x00\xff{[\x1b]0;x\x07" * 100)
    elif how == "deep":
        path.write_text("[" * 5000 + "]" * 5000)
    elif how == "empty":
        path.write_bytes(b"")
    else:
        path.mkdir()


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every entry under `root` (links as themselves): its size and modification time."""
    result = {}
    for directory, names, files in os.walk(root, followlinks=False):
        for name in names + files:
            info = os.lstat(os.path.join(directory, name))
            result[os.path.relpath(os.path.join(directory, name), root)] = (info.st_size, info.st_mtime_ns)
    return result


class Hung(Exception):
    pass


def _hung(signum: int, frame: object) -> None:
    raise Hung(f"a case ran over {CASE_S} s")


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@settings(
    max_examples=int(os.environ.get("UKTRACE_FUZZ_EXAMPLES", "40")),
    deadline=None,
    derandomize=os.environ.get("UKTRACE_FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), command=st.sampled_from(COMMANDS))
def test_no_recording_crashes_hangs_leaks_or_writes(data: st.DataObject, command: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="uktrace-fuzz-") as scratch:
        root = Path(scratch)
        recording = root / "runs" / "rec"
        shutil.copytree(BASE / "rec", recording)
        outside = root / "outside"
        outside.write_text(SECRET + "\n")
        if data.draw(st.booleans(), label="swap a file"):
            name = data.draw(st.sampled_from(FILES), label="file")
            swap(recording / name, data.draw(swaps, label="for"), outside)
        else:
            name = data.draw(
                st.sampled_from(["session.json", "guest-1/guest.json", "guest-2/guest.json"]), label="file"
            )
            document = json.loads((recording / name).read_text())
            where = data.draw(st.sampled_from(list(paths(document))), label="field")
            value = data.draw(json_values, label="value")
            (recording / name).write_text(json.dumps(mutate(document, where, value)))
        output = root / "out.csv"
        output.write_text("the user's old export\n")
        before = snapshot(root)
        target = str(recording.parent) if command[0] == "recordings" else str(recording)
        out, err = io.StringIO(), io.StringIO()
        with time_limit(CASE_S), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main([*(str(output) if word == "OUT" else word for word in command), target])
        shown = out.getvalue() + err.getvalue()
        assert status in (0, 1, 2), shown
        assert "Traceback" not in shown
        assert SECRET not in shown + output.read_text()
        after = snapshot(root)
        if "OUT" in command and status == 0:  # the named output, replaced whole; nothing else
            assert after.pop("out.csv") != before.pop("out.csv")
        assert after == before


def saved_run() -> Any:
    """A recording's `run --json` object, as a user saves it for compare and export."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["export", str(BASE / "rec"), "-f", "json"]) == 0
    return json.loads(out.getvalue())


SAVED = saved_run()
JSON_COMMANDS = (
    ["compare", str(SHARED)],
    ["export", "-f", "csv"],
    ["export", "-f", "perfetto"],
    ["export", "-f", "svg"],
)


@settings(
    max_examples=int(os.environ.get("UKTRACE_FUZZ_EXAMPLES", "40")),
    deadline=None,
    derandomize=os.environ.get("UKTRACE_FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), command=st.sampled_from(JSON_COMMANDS))
def test_no_saved_json_crashes_compare_or_export(data: st.DataObject, command: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="uktrace-fuzz-") as scratch:
        saved = Path(scratch) / "run.json"
        document = json.loads(json.dumps(SAVED))
        where = data.draw(st.sampled_from(list(paths(document))), label="field")
        saved.write_text(json.dumps(mutate(document, where, data.draw(json_values, label="value"))))
        before = snapshot(Path(scratch))
        out, err = io.StringIO(), io.StringIO()
        with time_limit(CASE_S), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main([*command, str(saved)])
        shown = out.getvalue() + err.getvalue()
        assert status in (0, 1, 2), shown
        assert "Traceback" not in shown
        assert snapshot(Path(scratch)) == before
