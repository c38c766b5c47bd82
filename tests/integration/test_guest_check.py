"""The test guest checks itself: each boot of `guest/check.py` (every era, with and without a
share, every fault knob, delays, writes, the server) must show the era's lines, printk prefix,
exit status and integrity line. uktrace's tests read the guest; these keep it a faithful
Unikraft of each era."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load_check() -> ModuleType:
    path = Path(__file__).parents[2] / "guest" / "check.py"
    spec = importlib.util.spec_from_file_location("guest_check", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


check = _load_check()
CASES = check.cases(check.ERAS)


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.era}-{'share' if c.share else 'none'}-{c.name or c.knob or 'boot'}" for c in CASES]
)
def test_the_boot_checks_out(case: object, tmp_path: Path) -> None:
    result = check.run(case, "qemu-system-x86_64", 3.0, tmp_path)
    assert result.problems == []
