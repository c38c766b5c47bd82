"""Every JSON output uktrace publishes a schema for, with its type and format version; run as
`python -m uktrace.model.shapes.outputs DIR...` (`make schemas`), it writes each schema into each
DIR (the package's `uktrace/schemas/`, the docs' `docs/schemas/`)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import bench, commands, formats, recording, run, timeline
from .derive import json_schema


@dataclass(frozen=True, slots=True)
class Output:
    """A published JSON output: its name, its top-level type, its format version."""

    name: str
    shape: type
    format: int
    what: str
    """Which command or file writes it."""

    def schema(self, strict: bool = False) -> dict[str, Any]:
        return json_schema(self.shape, self.name, self.format, self.what, strict)

    @property
    def file(self) -> str:
        """The schema's file name: one per format, so a reader of an older output keeps its schema."""
        return f"{self.name}-{self.format}.schema.json"

    def text(self) -> str:
        """The published schema, as its file holds it."""
        return json.dumps(self.schema(), indent=2) + "\n"


OUTPUTS = (
    Output("parse", timeline.ParseOutput, formats.PARSE, "uktrace parse --json"),
    Output("run", run.RunOutput, formats.RUN, "uktrace run --json, uktrace replay --json"),
    Output("guest", recording.GuestFile, formats.RECORDING, "a recording's <guest>/guest.json"),
    Output("session", recording.Session, formats.RECORDING, "a recording's session.json"),
    Output("results", bench.Results, formats.RESULTS, "a bench's results.json"),
    Output("compare", commands.CompareOutput, formats.COMMANDS, "uktrace compare --json"),
    Output("blame", commands.BlameOutput, formats.COMMANDS, "uktrace blame --json"),
    Output("recordings", commands.RecordingsOutput, formats.COMMANDS, "uktrace recordings --json"),
)
"""Every JSON output uktrace publishes a schema for."""


def output(name: str) -> Output:
    """The output called `name` (`run`, `guest`, ...)."""
    return next(entry for entry in OUTPUTS if entry.name == name)


if __name__ == "__main__":
    for directory in map(Path, sys.argv[1:]):
        directory.mkdir(parents=True, exist_ok=True)
        for entry in OUTPUTS:
            (directory / entry.file).write_text(entry.text())
