"""What a guest's console costs it: the time its kernel spends printing the bytes uktrace reads.

Why: every byte a guest prints goes through an emulated UART, one port write per byte (under KVM
a VM exit each, under TCG an emulated I/O access), and the boot waits for it. Users turn on debug
printing to get the call lines that `blame` names, so the boot they trace is slower than the one
they ship. The cost per byte depends on the host, the QEMU and the accelerator, so it is measured
(`uktrace calibrate`: the test guest prints known amounts, `launch.calibration`) and kept per host;
a guest's estimate is its bytes times that cost, with the calibration's interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STALE_DAYS = 30
"""A calibration older than this is still shown, but said to be stale."""


@dataclass(frozen=True, slots=True)
class ConsoleCost:
    """Seconds of guest time per console byte on one host, QEMU and accelerator."""

    per_byte_s: float
    low_s: float
    high_s: float
    """The 95 % interval of `per_byte_s` (Theil-Sen, Sen's interval)."""
    runs: int
    """Boots the fit was made from."""
    host: dict[str, str]
    """What it was measured on (`host_key`): it applies only where all of it matches."""
    made: float
    """Unix time of the calibration."""

    def estimate(self, nbytes: int) -> tuple[float, float, float]:
        """(seconds, low, high) that printing `nbytes` cost the guest."""
        return nbytes * self.per_byte_s, nbytes * self.low_s, nbytes * self.high_s

    def stale(self, now: float) -> bool:
        return now - self.made > STALE_DAYS * 86400

    def as_dict(self) -> dict[str, Any]:
        return {
            "per_byte_s": self.per_byte_s,
            "ci": [self.low_s, self.high_s],
            "runs": self.runs,
            "host": dict(self.host),
            "made": self.made,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ConsoleCost | None:
        """The calibration in `data`, or None when it is not one (a damaged or foreign file)."""
        try:
            low, high = data["ci"]
            host = {str(k): str(v) for k, v in data["host"].items()}
            cost = cls(float(data["per_byte_s"]), float(low), float(high), int(data["runs"]), host, float(data["made"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return cost if 0 <= cost.low_s <= cost.per_byte_s <= cost.high_s else None


def host_key(qemu_version: str, accel: str, cpu_model: str, kernel: str) -> dict[str, str]:
    """What a console's cost depends on: the VMM's version, the accelerator, the host's CPU and kernel."""
    return {"qemu": qemu_version, "accel": accel, "cpu": cpu_model, "kernel": kernel}
