"""Each guest's console, priced: the bytes it printed and what printing them cost its boot.

The cost per byte is this host's calibration (`uktrace calibrate`, `launch.calibration`) for the
run's QEMU and accelerator; without one, the bytes are still said and the cost is `null` with why
(and what to run). The estimate carries the calibration's 95 % interval; the in-guest time it is
compared with is the guest clock's last stamp (kernel entry to the last line, corrected when the
guest clock was skewed), and the debug lines' share tells what a build without them would save.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..launch.calibration import find, this_host
from ..model.console_cost import ConsoleCost
from ..model.guest import Guest
from .figures import median

if TYPE_CHECKING:
    from ..model.shapes import run as shape

MISSING = "no console calibration for this host, QEMU and accelerator: run `uktrace calibrate`"


@functools.cache
def _calibration(qemu: str, accel: str) -> tuple[ConsoleCost | None, str | None]:
    cost = find(this_host(qemu, accel))
    if cost is None:
        return None, MISSING
    if cost.stale(time.time()):
        return cost, f"calibration from {time.strftime('%Y-%m-%d', time.localtime(cost.made))} is stale: re-run it"
    return cost, None


def guest_console(guest: Guest) -> shape.Console:
    """The JSON's per guest `console`: bytes, debug bytes, the estimated cost and its interval."""
    entry: shape.Console = {
        "bytes": guest.received,
        "debug_bytes": guest.timeline.debug_bytes,
        "cost_s": None,
        "why": None,
    }
    if guest.spec.command is not None:
        return entry | {"cost_s": None, "why": "a --cmd launcher: its VMM and accelerator are its own"}
    cost, why = _calibration(guest.spec.qemu, guest.spec.accel)
    if cost is None:
        return entry | {"cost_s": None, "why": why}
    seconds, low, high = cost.estimate(guest.received)
    debug, _, _ = cost.estimate(guest.timeline.debug_bytes)
    in_guest = guest.timeline.guest_now
    rate = guest.timeline.guest_clock().correction
    if in_guest is not None and rate:
        in_guest /= rate
    return entry | {
        "cost_s": round(seconds, 6),
        "ci": [round(low, 6), round(high, 6)],
        "debug_cost_s": round(debug, 6),
        "in_guest_s": None if in_guest is None else round(in_guest, 6),
        "per_byte_s": cost.per_byte_s,
        "why": why,
    }


def sentence(consoles: Sequence[Mapping[str, Any]]) -> str | None:
    """`console ≈ 8.1 ms (95 % CI 7.4-8.8) of 104 ms in-guest per guest (p50), 7.2 KB; a build
    without debug lines ≈ 6.5 ms faster`; the bytes and why when no cost is known."""
    if not consoles:
        return None
    return _said(consoles, " per guest (p50)")


def guest_sentence(console: Mapping[str, Any]) -> str:
    """One guest's `console` entry said as `sentence` says a run's (the guest view's line)."""
    return _said([console], "")


def _said(consoles: Sequence[Mapping[str, Any]], which: str) -> str:
    kilobytes = _p50([c["bytes"] for c in consoles]) / 1000
    priced = [c for c in consoles if c.get("cost_s") is not None]
    if not priced:
        return f"console {kilobytes:.1f} KB{which}; its cost unknown: {consoles[0].get('why')}"
    cost = _p50([c["cost_s"] for c in priced])
    low, high = _p50([c["ci"][0] for c in priced]), _p50([c["ci"][1] for c in priced])
    guest_times = [c["in_guest_s"] for c in priced if c.get("in_guest_s")]
    of = f" of {_ms(_p50(guest_times))} in-guest" if guest_times else ""
    debug = _p50([c["debug_cost_s"] for c in priced])
    quiet = f"; a build without debug lines ≈ {_ms(debug)} faster" if debug >= 0.0005 else ""
    note = f" ({priced[0]['why']})" if priced[0].get("why") else ""
    return f"console ≈ {_ms(cost)} (95 % CI {_ms(low)}-{_ms(high)}){of}{which}, {kilobytes:.1f} KB{quiet}{note}"


def _p50(values: Sequence[float]) -> float:
    return median(values) if values else 0.0


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"
