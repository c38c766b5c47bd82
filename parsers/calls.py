"""The per-function lines of lib/ukboot's boot tables, as one table (one row per marker), like
`phases.py`: which constructor, init or term function starts, at which address.

    Call constructor 0x10a2f0                                 uk_ctortab, 0.2-0.3
    Call constructor: 0x1082f0())...                          uk_ctortab, 0.4+ (the `))` is Unikraft's)
    Call init function: 0x1110a0()...                         uk_inittab, 0.4-0.15 (0.2-0.3 print none)
    Call init function: 0x12a0f0(0x3fdff0)...                 uk_inittab, 0.16+ (takes the init context)
    Call pre-init constructor: 0x1403c0()...                  the application's .preinit_array, before main
    Call constructor: 0x1403e0()...                           its .init_array (0.16+: `0x..(1, 0x..)...`)
    Call pre-init constructor (entry 0 (0x..): 0x..())...     both, 0.2-0.3
    Call term function: 0x12a1b0(0x3fdfe0)...                 0.16+, at shutdown
    Init function at 0x1110a0 returned error -1               the init call ended (and the boot with it)

Every call line is a `uk_pr_debug`: printed only by a kernel built with `debug_option()`'s option.
The application's `.init_array` line reads like a uk_ctortab one: the timeline tells them apart by
the phase they come in (`main` for the application's). Addresses are the functions' own (`%p` of
the function pointer), so the kernel's symbols name them; 0.2-0.3's error line gives the table
entry's address instead, which only ends the call.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .releases import PRINTING, printing, release

_ADDRESS = r"(0x[0-9a-fA-F]+|\(nil\))"


class CallRule(NamedTuple):
    kind: str
    """`constructor`, `preinit`, `init`, `term`: a call starts; `returned`: the open init call ended."""
    phase: str
    """The phase whose table the call runs in (`main` for the application's `.init_array`, which
    prints `Call constructor:` too: the timeline decides by the phase the line comes in)."""
    pattern: str
    """Regex matched at the start of the printk message; its one group is the function's address."""


CALL_RULES: tuple[CallRule, ...] = (
    CallRule("constructor", "constructors", rf"Call constructor:? {_ADDRESS}"),
    CallRule("init", "init_table", rf"Call init function: {_ADDRESS}"),
    CallRule("preinit", "main", rf"Call pre-init constructor: {_ADDRESS}"),
    CallRule("preinit", "main", rf"Call pre-init constructor \(entry \d+ \(\S+\): {_ADDRESS}"),
    CallRule("constructor", "main", rf"Call constructor \(entry \d+ \(\S+\): {_ADDRESS}"),
    CallRule("term", "exit", rf"Call term function: {_ADDRESS}"),
    CallRule("returned", "init_table", rf"Init function at {_ADDRESS} returned error"),
)
_RULES = tuple((rule, re.compile(rule.pattern)) for rule in CALL_RULES)
_PREFIXES = ("Call ", "Init function at ")


def call_of(message: str) -> tuple[CallRule, int] | None:
    """The rule a call line matches and the function's address, else None; one prefix test on
    any other line."""
    if not message.startswith(_PREFIXES):
        return None
    for rule, pattern in _RULES:
        match = pattern.match(message)
        if match:
            text = match[1]
            return rule, 0 if text == "(nil)" else int(text, 16)
    return None


PRINTD = PRINTING[0].debug
"""lib/ukdebug's switch for every `uk_pr_debug` line (or `UK_DEBUG` in lib/ukboot alone), 0.2-0.20."""
KLVL_DEBUG = PRINTING[-1].debug
"""The same once lib/ukprint replaced lib/ukdebug's printing (0.21+): the Debug level of its choice."""


def debug_option(version: str | None) -> str:
    """The Kconfig option that makes a kernel of `version` (`0.5.0`; None when unknown) print its
    call lines (`releases.PRINTING`); the table markers around them also need Info (`info_option`)."""
    found = release(version)
    if found is None:
        return f"{PRINTD} ({KLVL_DEBUG} on 0.21+)"
    if found < (0, 4):
        return f"{PRINTD} (constructors only: {version} prints no line per init function)"
    row = printing(version)
    assert row is not None
    return row.debug
