"""The recording two benchmarks replay: 100 test guests, each flooding 64 KiB of debug lines.

`ui_lag.py --replay` plays it at its recorded pace, `replay_instant.py` at instant speed; either
makes it on first use (a real run, about a minute on two cores) and keeps it in the temp directory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT = Path(tempfile.gettempdir()) / "uktrace-rec100-flood64"


def ensure(directory: Path = DEFAULT, count: int = 100, flood_kib: int = 64) -> Path:
    """`directory` once it holds a whole recording, recorded now when it does not exist. The run
    records beside it and is renamed into place when it ends well: a run cut short leaves nothing
    behind to be mistaken for a recording."""
    if (directory / "session.json").is_file():
        return directory
    if directory.exists():
        raise SystemExit(f"{directory}: not a uktrace recording; remove it, or name another with --recording")
    directory.parent.mkdir(parents=True, exist_ok=True)
    part = Path(tempfile.mkdtemp(prefix=f"{directory.name}.part-", dir=directory.parent))
    print(f"recording {count} guests flooding {flood_kib} KiB each into {directory} (once)…", flush=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "uktrace",
            "run",
            "--headless",
            "-n",
            str(count),
            "--append",
            f"uktrace.era=0.10 uktrace.fault=flood={flood_kib}",
            "--record",
            str(part),
        ],
        check=False,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    if not (part / "session.json").is_file():
        shutil.rmtree(part, ignore_errors=True)
        raise SystemExit(f"recording {directory} failed: uktrace run ended with status {result.returncode}")
    part.rename(directory)
    return directory
