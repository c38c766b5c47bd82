"""The guest view's boot functions: `c` nests them under their phase, named from the recording's
symbols, in boot order, then longest first, then hidden again."""

from __future__ import annotations

import pytest

from tests.tui.conftest import SIZE, replay_app, screen_text, settle, symbols_read
from uktrace.tui.screens.guest import GuestScreen

pytestmark = pytest.mark.anyio


def rows_between(text: str, first: str, last: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if first in line)
    end = next(i for i, line in enumerate(lines) if last in line)
    return [line.split()[1] for line in lines[start + 1 : end]]


async def test_c_shows_the_functions_sorts_them_and_hides_them() -> None:
    app = replay_app("crash-3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await symbols_read(pilot)
        assert isinstance(app.screen, GuestScreen)
        text = screen_text(app)
        assert "functions: hidden (c)" in text and "uk_libparam_report" not in text
        await pilot.press("c")
        await symbols_read(pilot)
        text = screen_text(app)
        assert "functions: boot order (c)" in text
        assert rows_between(text, "■ constructors", "■ subsystems") == [
            "uk_libparam_report",
            "pci_bus_register",
            "virtio_pci_register",
            "virtio_9p_register",
        ]
        # the bus probe inside init_table, after the init function that runs it began
        assert rows_between(text, "■ init_table", "■ bus_probe") == ["uk_bus_init_all"]
        assert rows_between(text, "■ bus_probe", "■ banner") == ["vfscore_rootfs"]
        await pilot.press("c")
        text = screen_text(app)
        assert "functions: longest first (c)" in text
        # pci_bus_register took 1.4 ms on the host clock, the others less than 0.1 ms
        assert rows_between(text, "■ constructors", "■ subsystems")[0] == "pci_bus_register"
        await pilot.press("c")
        assert "uk_libparam_report" not in screen_text(app)
