"""Make the README's home screen screenshots from real runs: two runs of 6 test guests under QEMU,
the second with a main 30 ms longer (`uktrace.delay=main:30`), recorded into a fresh directory.

    .venv/bin/python screenshots/make_home_screenshots.py [--out screenshots]

The runs are `uktrace run --headless` itself; the home screen runs headless (Textual's
`run_test`) at a fixed terminal size over their recordings. Captured: the home screen, and the
comparison of the two runs (both marked, `c`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uktrace.tui.home_app import HomeApp
from uktrace.tui.screens.compare import CompareScreen
from uktrace.tui.screens.home import HomeScreen

SIZE = (120, 34)
TALL = (120, 60)
RUNS = ((), ("--append", "uktrace.era=0.10 uktrace.delay=main:30"))


async def make(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="uktrace-home-shots-") as scratch:
        os.chdir(scratch)  # relative paths on the screenshots, the same on every machine
        base = Path("recordings")
        base.mkdir(mode=0o700)
        for index, extra in enumerate(RUNS):
            record = base / f"run-{index + 1}"
            command = [sys.executable, "-m", "uktrace", "run", "-n", "6", "--headless", "--record", str(record), *extra]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        for name, size, keys in (("home", SIZE, ()), ("compare", TALL, ("space", "down", "space", "c"))):
            app = HomeApp(base, Path(scratch))
            app.animation_level = "none"
            async with app.run_test(size=size) as pilot:
                with anyio.fail_after(60):
                    while not isinstance(app.screen, HomeScreen) or app.screen.kernels is None:
                        await pilot.pause(0.05)
                    home = app.screen
                    while len(home.runs.digests) < len(home.runs.recordings):
                        await pilot.pause(0.05)
                    await pilot.press(*keys)
                    screen = app.screen
                    while isinstance(screen, CompareScreen) and screen.inputs is None:
                        await pilot.pause(0.05)
                await pilot.pause(0.3)
                path = out / f"{name}.svg"
                path.write_text(app.export_screenshot(), encoding="utf-8")
                print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    anyio.run(make, args.out.resolve())


if __name__ == "__main__":
    main()
