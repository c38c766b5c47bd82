"""The engine and the parsers stay headless: importing them never loads Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["parsers", "uktrace", "uktrace.cli.main", "uktrace.model.timeline", "uktrace.cli.report"]
)
def test_no_textual_in_a_fresh_interpreter(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_parsers_import_nothing_of_ours() -> None:
    code = "import sys, parsers; print(sorted(m for m in sys.modules if m.split('.')[0] in ('uktrace', 'anyio', 'pexpect')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "module", ["uktrace.cli.main", "uktrace.launch.fleet", "uktrace.launch.cluster.host", "tui.cli"]
)
def test_ray_is_imported_only_by_the_ray_backend(module: str) -> None:
    """A local run never pays for Ray (or needs it installed): only cluster/client.py imports it, when used."""
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'ray'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
