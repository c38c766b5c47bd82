"""The compiled parser and timeline (uktrace.native): the same records and phases as the sources,
and never served once a source changed since they were built."""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from uktrace import native

from ..conftest import LOGS, RECORDINGS

DUMP = """
import sys
from pathlib import Path
from uktrace import native
from uktrace.model.timeline import BootTimeline
from uktrace.parsers import ConsoleParser
from uktrace.recording.logs import trace_log
print(native.state())
for name in sys.argv[1:]:
    data = Path(name).read_bytes()
    for size in (7, 4096, 1 << 16):  # chunks that cut lines (and UTF-8 sequences) anywhere
        parser, timeline = ConsoleParser(max_line=512), BootTimeline(name)
        for offset in range(0, len(data), size):
            for record in parser.feed(data[offset : offset + size], offset):
                print(repr(record))
                timeline.consume(record)
        for record in parser.flush():
            print(repr(record))
            timeline.consume(record)
        timeline.finish()
        print(timeline.status, timeline.version, timeline.level_counts, timeline.phases(), timeline.calls())
    traced = trace_log(Path(name))
    print(traced.status, traced.ending, traced.phases(), traced.calls(), traced.guest_clock())
"""


def _dump(pure: bool) -> list[str]:
    files = [*sorted(LOGS.glob("*.log")), *sorted(RECORDINGS.glob("*/*/console.raw"))]
    environment = {key: value for key, value in os.environ.items() if key != native.PURE}
    if pure:
        environment[native.PURE] = "1"
    done = subprocess.run(
        [sys.executable, "-c", DUMP, *map(str, files)], capture_output=True, text=True, env=environment, check=True
    )
    return done.stdout.splitlines()


def test_compiled_and_pure_make_the_same_records_and_phases() -> None:
    found = native.built()
    if not isinstance(found, dict):
        pytest.skip(f"no compiled parser to compare: {found}")
    compiled, pure = _dump(pure=False), _dump(pure=True)
    assert compiled[0] == "compiled (mypyc)"
    assert pure[0] == f"plain Python: {native.PURE} is set"
    assert len(compiled) > 5_000
    assert compiled[1:] == pure[1:]


def _tree(root: Path) -> Path:
    """A checkout's sources under `root`, a build of them, and its manifest as the build writes it."""
    for directory in native.SOURCES:
        (root / directory / "sub").mkdir(parents=True)
        (root / directory / "one.py").write_text("x = 1\n")
        (root / directory / "sub" / "two.py").write_text("y = 2\n")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    modules = {"uktrace.parsers.console": f"uktrace/parsers/console{suffix}"}
    (root / "build" / modules["uktrace.parsers.console"]).parent.mkdir(parents=True)
    (root / "build" / modules["uktrace.parsers.console"]).write_bytes(b"")
    manifest = root / "build" / "manifest.json"
    document = {"suffix": suffix, "sources": native.source_hashes(root), "modules": modules}
    manifest.write_text(json.dumps(document))
    return manifest


def test_a_build_that_matches_the_sources_is_served(tmp_path: Path) -> None:
    manifest = _tree(tmp_path)
    file = manifest.parent / f"uktrace/parsers/console{importlib.machinery.EXTENSION_SUFFIXES[0]}"
    assert native.built(manifest, tmp_path) == {"uktrace.parsers.console": file}
    finder = native._Finder(manifest, tmp_path)
    spec = finder.find_spec("uktrace.parsers.console")
    assert spec is not None and spec.origin == str(file)
    assert finder.state == "compiled (mypyc)"
    assert finder.find_spec("uktrace.parsers.banner") is None  # in MODULES, not in this build
    assert finder.find_spec("json") is None


@pytest.mark.parametrize("edit", ["parsers/one.py", "uktrace/model/sub/two.py"])
def test_a_build_older_than_a_source_is_never_served(tmp_path: Path, edit: str) -> None:
    manifest = _tree(tmp_path)
    (tmp_path / edit).write_text("x = 3\n")
    assert native.built(manifest, tmp_path) == "stale: the sources changed since it was built (make builds it again)"
    finder = native._Finder(manifest, tmp_path)
    assert finder.find_spec("uktrace.parsers.console") is None
    assert finder.state.startswith("plain Python: stale")


def test_a_new_source_makes_the_build_stale(tmp_path: Path) -> None:
    manifest = _tree(tmp_path)
    (tmp_path / "parsers" / "three.py").write_text("z = 3\n")
    assert str(native.built(manifest, tmp_path)).startswith("stale")


def test_no_build_another_python_or_a_missing_file_runs_plain_python(tmp_path: Path) -> None:
    assert native.built(tmp_path / "none.json", tmp_path) == "not built (make builds it)"
    manifest = _tree(tmp_path)
    document = json.loads(manifest.read_text())
    (manifest.parent / document["modules"]["uktrace.parsers.console"]).unlink()
    assert native.built(manifest, tmp_path) == "incomplete: uktrace.parsers.console missing"
    document["suffix"] = ".cpython-39-x86_64-linux-gnu.so"
    manifest.write_text(json.dumps(document))
    assert str(native.built(manifest, tmp_path)).startswith("built for another Python (.cpython-39")
