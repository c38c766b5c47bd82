"""Same output as another commit: `uktrace parse --json` and `uktrace replay --json` byte for byte.

A change meant to make the parser or the timeline faster must not change what they say. This runs
both trees (this worktree, and REF exported from git: by default where this branch left main) on
every log in `tests/data/logs`, every recorded console in `tests/data/recordings` (parsed on
their own, and replayed), the logs again with a `--ready` pattern, and any recordings given with
`--recording`, then names every case whose standard output or exit status differs (a replay's
`tracer` block aside: its own CPU and memory). Prints; exits 1 on a difference.

    .venv/bin/python benchmarks/same_output.py [--ref COMMIT] [--recording DIR ...]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
READY = r"Calling main|Hello|Listening"


def export(ref: str, into: Path) -> Path:
    """REF's tree (symbolic links kept: `uktrace/parsers` is one) as files under `into`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="tar")
    return into


def cases(recordings: list[Path]) -> list[list[str]]:
    logs = sorted((DATA / "logs").glob("*.log"))
    consoles = sorted((DATA / "recordings").glob("*/*/console.raw"))
    runs = sorted(path.parent for path in (DATA / "recordings").glob("*/session.json")) + recordings
    found = [["parse", "--json", str(log)] for log in logs]
    found += [["parse", "--json", "--ready", READY, str(log)] for log in logs]
    found += [["parse", "--json", str(console)] for console in consoles]
    found += [["replay", "--speed", "0", "--json", str(run)] for run in runs]
    return found


def without_tracer(value: Any) -> Any:
    """A replay's JSON less its `tracer` blocks: the replaying process's own CPU and memory, which
    differ from one run to the next."""
    if isinstance(value, dict):
        return {key: without_tracer(item) for key, item in value.items() if key != "tracer"}
    if isinstance(value, list):
        return [without_tracer(item) for item in value]
    return value


def run(tree: Path, command: list[str]) -> tuple[int, bytes]:
    environment = os.environ | {"PYTHONPATH": str(tree), "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "uktrace", *command], capture_output=True, env=environment, cwd=tree, check=False
    )
    if command[0] != "replay":
        return done.returncode, done.stdout
    try:
        document = json.loads(done.stdout)
    except ValueError:
        return done.returncode, done.stdout
    return done.returncode, json.dumps(without_tracer(document), indent=2).encode()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument(
        "--ref",
        help="the commit to compare with (default: where this branch left main, not main's later changes)",
    )
    options.add_argument("--recording", type=Path, action="append", default=[], help="a recording to replay too")
    args = options.parse_args()
    if args.ref is None:
        base = ["git", "-C", str(ROOT), "merge-base", "main", "HEAD"]
        args.ref = subprocess.run(base, capture_output=True, text=True, check=True).stdout.strip()
    differ = []
    with tempfile.TemporaryDirectory(prefix="uktrace-same-") as temporary:
        reference = export(args.ref, Path(temporary))
        todo = cases([path.resolve() for path in args.recording])
        for command in todo:
            then, now = run(reference, command), run(ROOT, command)
            same = then == now
            print(f"{'same' if same else 'DIFFERS':7} {' '.join(command)}  ({len(now[1]):,} bytes, exit {now[0]})")
            if not same:
                differ.append(command)
    print(f"{len(todo) - len(differ)} of {len(todo)} outputs identical to {args.ref}'s")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
