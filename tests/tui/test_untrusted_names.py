"""Names from a recording on the home screen are shown as they are, never read as markup
(issue 21): a launcher named `[/]` is that name, not a `MarkupError`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import anyio
import pytest

from tests.tui.conftest import RECORDINGS, SIZE, screen_text, still
from uktrace.tui.cli import launch
from uktrace.tui.home_app import HomeApp
from uktrace.tui.screens.home import HomeScreen

pytestmark = pytest.mark.anyio


async def test_a_launcher_named_in_markup_is_shown_as_named(tmp_path: Path) -> None:
    base = tmp_path / "recordings"
    shutil.copytree(RECORDINGS / "shared-8", base / "shared-8")
    session = base / "shared-8" / "session.json"
    document = json.loads(session.read_text())
    session.write_text(json.dumps(document | {"options": document["options"] | {"cmd": "[/]"}}))
    app = HomeApp(launch, base, tmp_path)
    still(app)
    async with app.run_test(size=SIZE) as pilot:
        with anyio.fail_after(20):
            while not isinstance(app.screen, HomeScreen) or not app.screen.runs.recordings:
                await pilot.pause(0.02)
            await pilot.pause(0.2)
        assert "--cmd [/]" in screen_text(app)
