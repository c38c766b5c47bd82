"""Shared helpers: the bundled real logs (tests/data/logs, sources in its SOURCES.md) and recordings,
a wall clock moved by hand, uktrace run as a user runs it; and every JSON output a test makes
checked against its published schema (`tests/published.py`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.published import Unpublished, Written, check, check_file, check_stdout, claimed
from uktrace.analysis.bench import Bench
from uktrace.launch.guest_json import Kernels
from uktrace.recording import record
from uktrace.recording.replay import ReplayFleet

# what uktrace caches per host (the accelerator probe, the console calibration, the observer checks)
# is the suite's own: a figure or a line a test checks never depends on what someone ran on this
# machine before (and each test's own, below: nor on what another test ran)
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="uktrace-test-cache-")


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's uktrace caches in a directory of its own (a bench's observer check, kept for the
    host, would otherwise be said by the next test's run of as many guests)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


DATA = Path(__file__).parent / "data"
LOGS = DATA / "logs"
RECORDINGS = DATA / "recordings"


def log(number: str) -> Path:
    """A bundled real console log by its number prefix, e.g. `log("001")`."""
    (path,) = LOGS.glob(f"{number}-*.log")
    return path


def tracer_booting(share: object = 0.03, **fields: object) -> dict[str, Any]:
    """A run's `summary.tracer.booting` (session.json `tracer`): 60 ms of 2 CPUs over 1 s unless
    `fields` say otherwise."""
    base = {"window_s": 1.0, "cpu_s": 0.06, "cpus": 2, "share": share, "wait_per_wake_s": None, "wakeups_per_s": None}
    return base | fields


def say_in_session(recording: Path, **fields: object) -> None:
    """`fields` added to a recording's session.json, as a run adds `tracer` and `observer` at its end."""
    path = recording / "session.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | fields))


def replayed(name: str, speed: float = 0) -> ReplayFleet:
    """A bundled recording (tests/data/recordings) replayed to its end, at `speed` (0: at once)."""
    fleet = ReplayFleet(RECORDINGS / name, speed=speed)
    anyio.run(fleet.run)
    return fleet


def uktrace(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m uktrace ARGS` as a user runs it, without a terminal on its input; the JSON it
    prints (`--json`) and the recording or bench files it writes are checked against their
    published schemas."""
    written = Written(args)
    with subprocess.Popen(
        [sys.executable, "-m", "uktrace", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    check_stdout(list(args), stdout)
    for path in written.files(process.pid):
        check_file(path)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.fixture(autouse=True)
def published_outputs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """uktrace run inside the test's process: what its commands print as JSON on stdout, the
    guest.json a fleet makes, the session.json a run starts and the results.json a bench makes,
    each checked against its published schema (an output that does not fit fails the test once it
    is over: a recording's files are made on the recorder's thread). A test's own guest.json,
    written through the recorder (`GuestRecorder.finish(meta)`), is its input, not checked."""
    problems: list[str] = []
    dump, write_json = json.dump, record._write_json
    meta, integrity, results = Kernels.guest_json, Kernels.final_guest_json, Bench.results

    def fits(name: str, document: Any, where: str) -> None:
        try:
            check(name, json.loads(json.dumps(document, default=str)), where)
        except Unpublished as error:
            problems.append(str(error))

    def checked_dump(document: Any, file: Any, *args: Any, **options: Any) -> None:
        if file is sys.stdout and isinstance(document, dict) and "format" in document:
            entry = claimed(document)
            try:
                if entry is None:
                    raise Unpublished(f"stdout: {sorted(document)}: the fields of no published output")
                check(entry.name, json.loads(json.dumps(document)), f"stdout ({entry.what})")
            except Unpublished as error:
                problems.append(str(error))
        dump(document, file, *args, **options)

    def checked_write(path: Path, value: Any, strict: bool = False) -> None:
        if path.name == "session.json":
            fits("session", value, str(path))
        write_json(path, value, strict)

    def checked_meta(kernels: Kernels, guest: Any) -> Any:
        made = meta(kernels, guest)
        fits("guest", made, f"{guest.name}: guest.json")
        return made

    def checked_integrity(kernels: Kernels, guest: Any, directory: Path) -> Any:
        made = integrity(kernels, guest, directory)
        fits("guest", made, f"{directory}/guest.json")
        return made

    def checked_results(bench: Bench) -> Any:
        made = results(bench)
        fits("results", made, f"{bench.out}/results.json")
        return made

    monkeypatch.setattr(json, "dump", checked_dump)
    monkeypatch.setattr(record, "_write_json", checked_write)
    monkeypatch.setattr(Kernels, "guest_json", checked_meta)
    monkeypatch.setattr(Kernels, "final_guest_json", checked_integrity)
    monkeypatch.setattr(Bench, "results", checked_results)
    yield
    assert not problems, "\n".join(problems)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Wall:
    """A monotonic clock (ns) that moves only when told: a replay's clock runs on it in tests."""

    def __init__(self) -> None:
        self.ns = 5_000_000_000

    def __call__(self) -> int:
        return self.ns

    def advance(self, ms: float) -> None:
        self.ns += int(ms * 1_000_000)


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh `$TMPDIR` (tempfile reads it again): where uktrace's runs, copies and sockets go."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)
    return scratch


QEMU_SUITES = (Path(__file__).parent / "integration", Path(__file__).parent / "cluster")
"""Every test here needs QEMU and the test guest (their conftest skips them all without): marked
`qemu` here, so `-m "not qemu"` leaves them out. Elsewhere a test that boots QEMU says so itself."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(suite in item.path.parents for suite in QEMU_SUITES):
            item.add_marker(pytest.mark.qemu)
