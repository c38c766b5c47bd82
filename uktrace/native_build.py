"""Compile the hot modules (`native.MODULES`) with mypyc into `build/native/`, with their manifest.

    python -m uktrace.native_build

`make` runs it when a source changed (mypyc comes with mypy, a dev dependency; gcc and Python's
headers are the system's). The manifest is written last, so a failed build leaves none and the
sources run as plain Python (see `uktrace.native`).
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import sys

from .native import BUILD, GROUP, MANIFEST, MODULES, ROOT, source_hashes


def _path(module: str) -> str:
    """`uktrace.parsers.console` → `uktrace/parsers/console.py` (through the `uktrace/parsers` link,
    so that mypyc names the module as it is imported)."""
    return module.replace(".", "/") + ".py"


def build() -> None:
    from mypyc.build import mypycify
    from setuptools import Distribution

    hashes = source_hashes()
    shutil.rmtree(BUILD, ignore_errors=True)
    os.chdir(ROOT)  # mypy reads pyproject.toml's [tool.mypy]; module names are relative paths
    extensions = mypycify(
        [_path(module) for module in MODULES], opt_level="3", group_name=GROUP, target_dir=str(BUILD / "c")
    )
    distribution = Distribution({"name": "uktrace-native", "ext_modules": extensions})
    distribution.script_args = ["-q", "build_ext", "--build-lib", str(BUILD), "--build-temp", str(BUILD / "objects")]
    distribution.parse_command_line()
    distribution.run_commands()
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    modules = {name: name.replace(".", "/") + suffix for name in (*MODULES, f"{GROUP}__mypyc")}
    missing = [name for name, path in modules.items() if not (BUILD / path).is_file()]
    if missing:
        sys.exit(f"uktrace.native_build: mypyc made no {', '.join(missing)}")
    if source_hashes() != hashes:
        sys.exit("uktrace.native_build: the sources changed during the build; run it again")
    document = {"suffix": suffix, "sources": hashes, "modules": modules}
    MANIFEST.write_text(json.dumps(document, indent=1) + "\n")
    print(f"compiled {len(MODULES)} modules into {BUILD.relative_to(ROOT)}")


if __name__ == "__main__":
    build()
