"""The docs site's reference pages follow the code: every status, phase, figure, command, option
and key a user meets is explained there, in the nav, once."""

from __future__ import annotations

import argparse
import re

import pytest

from tests.pages import DOCS, ROOT, page, section, table_names
from uktrace.analysis.figures import FIGURES
from uktrace.cli.main import build_parser
from uktrace.model.timeline import Status
from uktrace.parsers.phases import NESTED, PARENTS, PHASES
from uktrace.tui.screens.help import KEYS


def test_every_status_has_a_row() -> None:
    rows = table_names(page("concepts/statuses.md"))
    # the TUI's own: `waiting` for a guest `-j` holds back, `stopping` until a stopped VMM is gone
    assert {status.value for status in Status} | {"waiting", "stopping"} == set(rows)
    assert len(rows) == len(set(rows))


def test_every_phase_has_a_row_in_boot_order_and_every_figure_one() -> None:
    text = page("concepts/phases.md")
    assert table_names(text) == list(PHASES)
    for nested in NESTED:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{nested}` |"))
        parent = PARENTS.get(nested, "mount")  # the 9P handshake: inside mount (or the probe starting the device)
        assert f"inside `{parent}`" in row, nested
    assert table_names(section(text, "## Figures")) == list(FIGURES)


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {name for action in parser._actions for name in action.option_strings if name.startswith("--")} - {"--help"}


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(found[0].choices) if found else {}


def test_every_command_has_a_page_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    for name in commands():
        assert (DOCS / "commands" / f"{name}.md").is_file(), name
        assert f"commands/{name}.md" in nav, name
        assert f"[`{name}`]({name}.md)" in page("commands/index.md"), name


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_option_is_documented(name: str) -> None:
    """Each option in backticks on its command's page; the guest options `run` shares with `demo`
    and `bench` on run's page (theirs link to it)."""
    parser = commands()[name]
    run = options(commands()["run"])
    text = page(f"commands/{name}.md")
    shared = options(parser) & run if name in ("demo", "bench") else set()
    for option in sorted(options(parser) - shared):
        assert re.search(rf"`{option}[ `=]", text), f"{name}: {option}"
    for option in sorted(shared):
        assert re.search(rf"`{option}[ `=]", page("commands/run.md")), f"run: {option}"
    for sub, subparser in subcommands(parser).items():
        for option in sorted(options(subparser)):
            assert re.search(rf"`{option}[ `=]", text), f"{name} {sub}: {option}"
    if shared:
        assert "(run.md)" in text, name


def test_the_tui_page_lists_the_help_screens_keys() -> None:
    """The key tables of the TUI and home pages are the `?` help's, view by view, key by key."""
    tui, home = page("tui.md"), page("home.md")
    headings = {"everywhere": "Everywhere:", "fleet": "Fleet:", "guest": "Guest:", "blame": "Blame:"}
    headings["replay"] = "Replay (`uktrace replay` and the home screen's replays only):"
    for view, keys in KEYS:
        text = section(home, "## Recent runs") if view == "home" else tui[tui.index(headings[view]) :]
        assert table_names(text) == [key for key, _ in keys], view
