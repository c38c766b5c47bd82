"""A path a user may copy is printed whole, on one line, whatever the width (no terminal: 80)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.tui.conftest import RECORDINGS


def test_the_recording_path_under_the_tables_is_one_line(tmp_path: Path) -> None:
    deep = tmp_path / ("a-directory-name-long-enough-to-pass-the-width-" * 3) / "crash-3"
    shutil.copytree(RECORDINGS / "crash-3", deep)
    result = subprocess.run(
        [sys.executable, "-m", "uktrace", "replay", str(deep), "--headless", "--speed", "0"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80"},
    )
    assert f"consoles recorded in {deep}\n" in result.stdout, result.stdout[-600:]
