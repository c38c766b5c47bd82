"""The docs site's pages (`docs/`), read by the tests that hold what they say to the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def page(name: str) -> str:
    """The Markdown of `docs/<name>`."""
    return (DOCS / name).read_text()


def section(text: str, heading: str) -> str:
    """From the line `heading` (e.g. `## The summary`) to the next heading of any level."""
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    end = re.compile(r"^#+ ", re.MULTILINE).search(text, start)
    return text[start : end.start() if end else len(text)]


def table_names(text: str) -> list[str]:
    """The backticked name opening each row of the first Markdown table in `text`
    (`` | `name` | what | `` → `name`), in order, header and rule left out."""
    rows = re.findall(r"^\| `([^`]+)`", text[text.index("\n|") :].split("\n\n")[0], re.MULTILINE)
    return rows


def after(text: str, marker: str) -> str:
    """The first backticked text after `marker` (lines joined)."""
    start = text.index(marker) + len(marker)
    match = re.compile(r"`([^`]*)`").search(text, start)
    assert match is not None, marker
    return " ".join(match[1].split())


def listed(text: str) -> set[str]:
    """`{name, source, phases[{name,start}], calls[...]}` → the top-level names."""
    return set(re.findall(r"\w+", re.sub(r"\[[^\]]*\]", "", text)))


def row_names(text: str, name: str) -> set[str]:
    """The backticked names the table row of `name` lists after its first cell, the notes in
    parentheses left out (`` | `times` | the figures `boot`, … (`x`) | `` → {boot, …})."""
    row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
    content = "|".join(row.split("|")[2:])
    return set(re.findall(r"`(\w+)`", re.sub(r"\([^()]*\)", "", content)))
