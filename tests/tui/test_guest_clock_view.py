"""The guest view says when a guest's clock ran skewed, and its guest columns read corrected
(shared-8: guest-1 calibrated its TSC at 3.88 GHz, ~1.6x the host's 2.44 GHz; guest-3 at 2.46)."""

from __future__ import annotations

import re

import pytest

from tests.tui.conftest import SIZE, replay_app, screen_text, settle
from uktrace.tui.screens.guest import GuestScreen

pytestmark = pytest.mark.anyio


async def test_a_skewed_guest_says_so_and_its_guest_columns_are_corrected() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # guest-1
        assert isinstance(app.screen, GuestScreen)
        text = " ".join(screen_text(app).split())
        assert re.search(
            r"guest clock: ran 1\.6x slow \(rate 0\.6\d\d, 95 % [\d.]+-[\d.]+, from the TSC estimate 3\.88 GHz\)", text
        )
        assert "TSC calibration disturbed, guest-clock figures corrected" in text
        assert "guest start (corr.)" in text and "guest time (corr.)" in text


async def test_a_guest_whose_clock_ran_right_has_no_clock_line() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # guest-3: 2.46 GHz, right
        assert isinstance(app.screen, GuestScreen)
        text = screen_text(app)
        assert "guest-3" in text and "guest clock:" not in text and "(corr.)" not in text
