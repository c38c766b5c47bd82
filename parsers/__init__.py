"""Pure parsing of Unikraft serial consoles: bytes in, records out, phase and outcome rules as data.

Imports nothing of uktrace and does no I/O, so every rule is testable on plain strings.
"""

from .banner import UnikraftVersion
from .console import ConsoleParser, decode_line
from .printk import Printk, parse_printk
from .records import LEVELS, Kind, Record

__all__ = ["LEVELS", "ConsoleParser", "Kind", "Printk", "Record", "UnikraftVersion", "decode_line", "parse_printk"]
