"""`--kernel` and `--symbols`: where the commands that read saved consoles get function names from."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..kernel.symbols import Symbols


def add_symbol_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kernel",
        type=Path,
        metavar="ELF",
        help="kernel image (or .dbg): names crash addresses and every constructor and init function",
    )
    parser.add_argument(
        "--symbols",
        type=Path,
        metavar="FILE",
        help="read function names from FILE instead: an ELF, kraft's .dbg, or a recording's kernels/*.symbols",
    )


def symbols_option(args: argparse.Namespace) -> Symbols | None:
    """The table `--symbols` (else `--kernel`) names; None without either. Raises `SymbolsError`
    for a file that holds none: asked-for names that silently stay addresses would mislead."""
    from ..kernel.symbols import symbols_file  # ELF reading: only for a command that names functions

    path: Path | None = args.symbols or args.kernel
    return None if path is None else symbols_file(path)
