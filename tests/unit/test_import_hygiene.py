"""The engine and the parsers stay headless: importing them never loads Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "module", ["uktrace.parsers", "uktrace", "uktrace.cli.main", "uktrace.model.timeline", "uktrace.present.timeline"]
)
def test_no_textual_in_a_fresh_interpreter(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual' or m.startswith('uktrace.tui')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_parsers_import_nothing_of_ours() -> None:
    # what loads the compiled parser (uktrace.native, the package's first import) and the compiled
    # modules' shared library are how parsers is loaded, not what it imports
    code = (
        "import sys, uktrace.parsers; print(sorted(m for m in sys.modules if m.split('.')[0] in ('anyio', 'pexpect')"
        " or (m.startswith('uktrace.') and not m.startswith(('uktrace.parsers', 'uktrace.native')))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "module", ["uktrace.cli.main", "uktrace.launch.fleet", "uktrace.launch.cluster.host", "uktrace.tui.cli"]
)
def test_ray_is_imported_only_by_the_ray_backend(module: str) -> None:
    """A local run never pays for Ray (or needs it installed): only cluster/client.py imports it, when used."""
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'ray'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_reading_a_recording_through_never_imports_scipy_stats() -> None:
    """Replaying a run (the home screen's rows, `replay`, `compare`'s inputs) fits every guest's
    clock without scipy.stats: importing it took 1.2 s of CPU, most of a home screen's read-through
    of a handful of recordings, and 1-4 s of a run's event loop."""
    code = (
        "import sys, anyio; from pathlib import Path; from uktrace.recording.replay import ReplayFleet;"
        " fleet = ReplayFleet(Path('tests/data/recordings/shared-8'), speed=0); anyio.run(fleet.run);"
        " assert all(g.timeline.clock_fit() is not None for g in fleet.guests);"
        " print(sorted(m for m in sys.modules if m.startswith('scipy.stats')))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.strip() == "[]"


def test_one_top_level_name_on_install() -> None:
    """`parsers` and `tui` are generic names other distributions take: uktrace installs them under its own."""
    from importlib.metadata import distribution

    assert distribution("uktrace").read_text("top_level.txt").split() == ["uktrace"]


def test_the_repository_folders_are_not_importable_under_their_own_names(tmp_path: Path) -> None:
    """Outside the repository, only `uktrace.parsers` and `uktrace.tui` exist: no second copy of a module."""
    code = "import importlib.util as u, uktrace.tui.cli; print([m for m in ('parsers', 'tui') if u.find_spec(m)])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "unwanted"),
    [
        (["--version"], ("rich", "uktrace.launch", "uktrace.analysis", "uktrace.model.timeline")),
        (["run", "--help"], ("uktrace.analysis.compare", "uktrace.cli.blame", "uktrace.cli.export", "scipy")),
    ],
)
def test_a_command_imports_only_what_it_uses(argv: list[str], unwanted: tuple[str, ...]) -> None:
    """`uktrace --version` builds no parser; a command builds its own part only (`cli.main`)."""
    code = (
        "import sys, contextlib, io; from uktrace.cli.main import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit): main({argv!r})\n"
        f"print(sorted(m for m in sys.modules if m.startswith({unwanted!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
