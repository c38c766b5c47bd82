"""Every JSON output a test makes, checked against its published schema (`uktrace.model.shapes`):
what `uktrace ... --json` prints, and the guest.json, session.json and results.json it writes.

Checked strictly: the published schemas leave objects open (a reader ignores a field it does not
know), the tests do not, so a field written without being declared in its type fails here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from uktrace.model.shapes.outputs import OUTPUTS, Output, output
from uktrace.recording.record import recordings_base

COMMANDS = {"parse": "parse", "run": "run", "demo": "run", "replay": "run", "compare": "compare", "blame": "blame"}
"""The output each command's `--json` prints (`recordings` too, below)."""
FILES = {"guest.json": "guest", "session.json": "session", "results.json": "results"}
"""The output each file of a recording or a bench holds."""


class Unpublished(AssertionError):
    """An output that does not fit its published shape."""


@functools.cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(output(name).schema(strict=True))


def check(name: str, document: Any, where: str) -> None:
    """Raise `Unpublished` (saying where and what) unless `document` fits output `name`."""
    error = best_match(validator(name).iter_errors(document))
    if error is not None:
        raise Unpublished(f"{where}: not a {name} output: at {error.json_path}: {error.message[:300]}")


@functools.cache
def _top(entry: Output) -> tuple[frozenset[str], frozenset[str]]:
    schema = entry.schema()
    return frozenset(schema["required"]), frozenset(schema["properties"])


def claimed(document: Mapping[str, Any]) -> Output | None:
    """The stdout output whose top-level fields `document` has (all it needs, none it lacks)."""
    for entry in OUTPUTS:
        required, known = _top(entry)
        if entry.name not in FILES.values() and required <= set(document) <= known:
            return entry
    return None


def command_output(args: Iterable[str]) -> str | None:
    """The output `uktrace ARGS` prints, or None when it prints no JSON."""
    args = list(args)
    if "--json" not in args or not args:
        return None
    if args[0] == "recordings" and (len(args) == 1 or args[1] in ("list", "--json", "--dir")):
        return "recordings"
    return COMMANDS.get(args[0])


class Written:
    """The guest.json, session.json and results.json files a `uktrace` call writes: those that are
    new or replaced (uktrace writes each whole, renamed over the old) in the directories its
    arguments name and in the recordings it makes in `$TMPDIR/uktrace-UID` (named with its
    pid: another uktrace on the machine may record there at the same time). Files a test crafted
    before the call are left alone (they are its input, sound or not)."""

    def __init__(self, args: Iterable[str]) -> None:
        self.args = [Path(arg) for arg in args if not arg.startswith("-")]
        self.base = recordings_base()
        self.runs = self._runs()
        self.before = self._files(self._roots())

    def _roots(self) -> list[Path]:
        """The arguments that are directories (`--record DIR` and `--out DIR` once made)."""
        return [path for path in self.args if path.is_dir()]

    def _runs(self) -> set[Path]:
        return {entry for entry in self.base.iterdir() if entry.is_dir()} if self.base.is_dir() else set()

    def _files(self, roots: Iterable[Path]) -> dict[Path, tuple[int, int]]:
        found = {}
        for root in dict.fromkeys(roots):
            for name in FILES:
                for path in root.rglob(name):
                    info = path.stat()
                    found[path] = (info.st_ino, info.st_mtime_ns)
        return found

    def files(self, pid: int) -> list[Path]:
        """What the call by process `pid` wrote."""
        made = [run for run in self._runs() - self.runs if f"-{pid}-" in run.name]
        after = self._files([*self._roots(), *made])
        return sorted(path for path, stamp in after.items() if self.before.get(path) != stamp)


def check_file(path: Path) -> None:
    check(FILES[path.name], json.loads(path.read_text()), str(path))


def check_stdout(args: list[str], stdout: str) -> None:
    name = command_output(args)
    if name is not None and stdout.lstrip().startswith("{"):
        check(name, json.loads(stdout), f"uktrace {' '.join(args)}")
