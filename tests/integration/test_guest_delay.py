"""The test guest's `uktrace.delay=PHASE:MS` knob, seen through `uktrace run --json`: the named
phase lasts MS longer on the guest's own clock (`phases[].guest`), the others do not move."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import run_json

DELAY_MS = 40
BOOTS = 3
"""Per configuration, one after another; each phase's shortest boot is compared, which keeps
TCG's run-to-run noise (mostly in `subsystems`, which spans everything since kernel entry) out."""
ROUNDS = 2
"""A busy host can slow every boot of one configuration: then both boot BOOTS times more and the
shortest of all counts. A delay in the wrong phase, or none, fails every round."""
SLACK_MS = 50
"""The delayed phase may grow by at most DELAY_MS + SLACK_MS."""
OTHERS_MS = 10
"""How much any other phase may grow."""
WITHOUT_FS = [
    "spawn",
    "gate",
    "firmware",
    "platform_entry",
    "stack_switch",
    "constructors",
    "subsystems",
    "tsc_calibration",
    "init_table",
    "bus_probe",
    "banner",
    "main",
    "exit",
]
"""Every phase of a boot without a share."""


def boot(tmp_path: Path, name: str, append: str, *args: str, count: int = BOOTS) -> list[dict[str, Any]]:
    result, process = run_json(
        "--headless", "-n", str(count), "-j", "1", "--append", append, "--record", str(tmp_path / name), *args
    )
    assert process.returncode == 0, process.stderr
    guests: list[dict[str, Any]] = result["guests"]
    for guest in guests:
        assert guest["status"] == "exited" and guest["exit_code"] == 0, guest["crash"]
        assert guest["host"]["integrity"] == "ok"
    return guests


def phase_names(guest: dict[str, Any]) -> list[str]:
    return [p["name"] for p in guest["phases"]]


def guest_ms(guests: list[dict[str, Any]]) -> dict[str, float]:
    """Per phase with both ends on the guest clock (not `spawn`/`gate`/`firmware`, nor a phase
    only the process exit ends), its shortest duration over the boots, in ms."""
    assert all(phase_names(g) == phase_names(guests[0]) for g in guests)
    durations: dict[str, list[float]] = {}
    for guest in guests:
        for phase in guest["phases"]:
            start, end = phase["guest"]["start"], phase["guest"]["end"]
            if start is not None and end is not None:
                durations.setdefault(phase["name"], []).append((end - start) * 1000)
    return {name: min(ms) for name, ms in durations.items() if len(ms) == len(guests)}


def ancestors(guest: dict[str, Any], name: str) -> list[str]:
    """The phases `name` nests in (`mount` in `init_table`: the init functions run it), innermost first."""
    parents = {p["name"]: p["parent"] for p in guest["phases"]}
    chain = []
    while (name := parents.get(name)) is not None:
        chain.append(name)
    return chain


def assert_only_grows(tmp_path: Path, phase: str, append: str, *args: str, knob: str | None = None) -> dict[str, float]:
    """Boot without and with `uktrace.delay=PHASE:DELAY_MS` (or `knob:DELAY_MS`, a wait that is
    `phase`'s): `phase` grows by about DELAY_MS on the guest clock, and so do the phases it nests in;
    no other phase by OTHERS_MS or more. Returns the baseline durations."""
    base_guests: list[dict[str, Any]] = []
    delayed_guests: list[dict[str, Any]] = []
    for attempt in range(ROUNDS):
        base_guests += boot(tmp_path, f"base-{attempt}", append, *args)
        delayed_guests += boot(
            tmp_path, f"delayed-{attempt}", f"{append} uktrace.delay={knob or phase}:{DELAY_MS}", *args
        )
        base, delayed = guest_ms(base_guests), guest_ms(delayed_guests)
        assert list(delayed) == list(base) and phase in base, (base, delayed)
        growth = {name: round(delayed[name] - base[name], 3) for name in base}
        grown = {phase, *ancestors(delayed_guests[0], phase)}  # a phase that runs it takes as long longer
        others = max(g for name, g in growth.items() if name not in grown)
        if all(DELAY_MS - 5 <= growth[name] < DELAY_MS + SLACK_MS for name in grown) and others < OTHERS_MS:
            return base
    pytest.fail(f"growth in ms: {growth}\nbaseline: {base}\ndelayed: {delayed}")


def test_main_takes_the_delay_longer(tmp_path: Path) -> None:
    base = assert_only_grows(tmp_path, "main", "uktrace.era=0.10")
    assert "mount" not in base


@pytest.mark.parametrize("era", ["0.10", "0.17"])
def test_a_silent_wait_before_the_banner_is_the_init_tables(tmp_path: Path, era: str) -> None:
    """The banner has no stamp: placed through its arrival, the wait before it ends init_table,
    and the banner does not grow (read at the latest stamp, the wait would be the banner's)."""
    assert_only_grows(tmp_path, "init_table", f"uktrace.era={era}", knob="banner")


@pytest.mark.parametrize("era", ["0.10", "0.17"])  # 0.17 announces the mount with `VFS: mounting` only
def test_mount_takes_the_delay_longer(tmp_path: Path, share: Path, era: str) -> None:
    base = assert_only_grows(tmp_path, "mount", f"uktrace.era={era}", "--fs", str(share))
    assert "9p_handshake" in base  # nested in mount, and not stretched: the wait comes after RATTACH


def warning(lib: str, src: str, message: str, time: str = r"0\.000000") -> str:
    """A whole Warn line of the 0.10 era, as a regex."""
    prefix = rf"\[ +{time}\] Warn: \{{r:0x[0-9a-f]+,f:0x[0-9a-f]+\}} \[{lib}\] <{re.escape(src)} @ +\d+> "
    return "(?m)^" + prefix + re.escape(message) + "$"


PHASES = "constructors, subsystems, init_table, bus_probe, mount, banner or main"


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (
            "nonsense:5",
            warning(
                "libuklibparam",
                "param.c",
                f"Ignoring invalid kernel parameter 'uktrace.delay=nonsense:5' (unknown phase, expected {PHASES})",
            ),
        ),
        (
            "main:5ms",
            warning(
                "libuklibparam",
                "param.c",
                "Ignoring invalid kernel parameter 'uktrace.delay=main:5ms' (MS must be a number of milliseconds, 0-60000)",
            ),
        ),
        # no share, so no mount phase to stretch: said on the console, from the init table (calibrated by then)
        (
            "mount:40",
            warning("libvfscore", "rootfs.c", "uktrace.delay=mount:40 ignored: no 9P device to mount", r"0\.\d{6}"),
        ),
    ],
)
def test_an_unusable_delay_warns_and_boots_normally(tmp_path: Path, value: str, line: str) -> None:
    (guest,) = boot(tmp_path, "rec", f"uktrace.era=0.10 uktrace.delay={value}", count=1)
    assert phase_names(guest) == WITHOUT_FS
    console = (tmp_path / "rec" / guest["name"] / "console.raw").read_text(errors="replace")
    assert re.search(line, console), console[:3000]
    assert "uktrace.delay: waited" not in console
    assert "Hello world!\n" in console
