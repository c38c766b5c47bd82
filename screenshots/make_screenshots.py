"""Make the README's screenshots from a real run: 10 test guests under QEMU sharing one 9P directory.

    .venv/bin/python screenshots/make_screenshots.py [--out screenshots] [-n 10]

The TUI runs headless (Textual's `run_test`) at a fixed terminal size; the fleet is the real one
(`uktrace.launch.options.prepare` + `Fleet`, as `uktrace demo` builds it). Captured: the fleet view while
guests are mid-boot (the first moment one has exited while three still boot), the fleet
view at the end, the guest view of the slowest guest and the summary view.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.pilot import Pilot

from uktrace.launch.fleet import Fleet
from uktrace.launch.options import RunOptions, prepare
from uktrace.tui.app import UktraceApp

SIZE = (120, 34)
MID_BOOT_RUNNING = 3
"""Capture 'mid-boot' once a guest has exited while at least this many are still booting."""


def mid_boot(fleet: Fleet) -> bool:
    finished = sum(1 for g in fleet.guests if g.timeline.status.finished)
    return finished >= 1 and len(fleet.guests) - finished >= MID_BOOT_RUNNING


async def capture(app: UktraceApp, pilot: Pilot[None], path: Path, *, now: bool = False) -> None:
    """Draw the model as it is and save it; `now`: without letting the event loop (the guests) run."""
    app.tick()
    if not now:
        await pilot.pause()
    path.write_text(app.export_screenshot(), encoding="utf-8")
    print(f"wrote {path}")


async def make(out: Path, count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="uktrace-shots-") as scratch:
        share = Path(scratch, "share")
        share.mkdir()
        (share / "hello.txt").write_text("Hello from uktrace's demo share!\n")
        specs, shares = prepare(RunOptions(count=count, fs=share, fs_mode="shared"))
        fleet = Fleet(specs, record_dir=Path(scratch, "rec"))
        fleet.fs_mode = "shared"
        app = UktraceApp(fleet, title=f"uktrace demo -n {count}", screenshot_dir=out)
        app.animation_level = "none"
        try:
            async with app.run_test(size=SIZE) as pilot:
                with anyio.fail_after(120):
                    while not mid_boot(fleet):
                        if all(g.timeline.status.finished for g in fleet.guests):
                            print("guests finished before the mid-boot moment: no fleet-booting.svg")
                            break
                        await anyio.sleep(0.005)
                    else:
                        await capture(app, pilot, out / "fleet-booting.svg", now=True)
                    while not all(g.timeline.status.finished and not g.running for g in fleet.guests):
                        await pilot.pause(0.05)
                await pilot.pause(0.3)
                await capture(app, pilot, out / "fleet-done.svg")
                now = app.clock()
                slowest = max(fleet.guests, key=lambda g: g.elapsed_s(now) or 0.0)
                await pilot.press(*["down"] * fleet.guests.index(slowest), "enter")
                await pilot.pause(0.3)
                await capture(app, pilot, out / "guest.svg")
                await pilot.press("escape", "tab")
                await pilot.pause(0.3)
                await capture(app, pilot, out / "summary.svg")
                await pilot.press("q")
                start = time.monotonic()
                while app.return_code is None and time.monotonic() - start < 20:
                    await anyio.sleep(0.02)
        finally:
            shares.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="where the SVGs go")
    parser.add_argument("-n", "--count", type=int, default=10, help="guests (default 10)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    anyio.run(make, args.out, args.count)


if __name__ == "__main__":
    main()
