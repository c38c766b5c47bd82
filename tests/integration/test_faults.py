"""Every fault knob of the test guest ends in the status a user would expect."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import qemu_processes_mentioning, run_json

CASES = [
    # knob, status, exit code, reason start
    ("crash", "crashed", None, "Unhandled Trap 0 (divide error)"),
    ("assert", "crashed", None, "Assertion failure:"),
    ("mountfail", "failed", None, "Failed to mount"),
    ("weakmain", "failed", -22, "weak main() called"),
    ("garbage", "exited", 0, None),
    ("flood=64", "exited", 0, None),
]


@pytest.mark.parametrize(("knob", "status", "code", "reason"), CASES)
def test_fault(tmp_path: Path, share: Path, knob: str, status: str, code: int | None, reason: str | None) -> None:
    args = ["--append", f"uktrace.fault={knob}", "--record", str(tmp_path / "rec"), "--timeout", "30"]
    if knob == "mountfail":
        args += ["--fs", str(share)]
    result, process = run_json(*args)
    (guest,) = result["guests"]
    assert guest["status"] == status, guest
    assert guest["exit_code"] == code
    if reason is None:
        assert guest["crash"] is None
    else:
        assert guest["crash"]["reason"].startswith(reason)
    assert guest["host"]["integrity"] == "ok"
    assert process.returncode == (0 if status == "exited" else 1)
    if knob == "crash":  # the register dump's RIP, named from the test guest's symbols
        assert guest["crash"]["where"].endswith(" app_divide+0x1c")


def test_flood_keeps_every_byte(tmp_path: Path) -> None:
    result, _ = run_json("--append", "uktrace.fault=flood=512", "--record", str(tmp_path / "rec"))
    (guest,) = result["guests"]
    assert guest["host"]["bytes"] > 512 * 1024
    assert guest["host"]["integrity"] == "ok"
    assert guest["lines"] > 512 * 1024 // 200  # flood lines are ~130 bytes


def test_hang_times_out_and_leaves_no_qemu(tmp_path: Path) -> None:
    result, process = run_json("--append", "uktrace.fault=hang", "--timeout", "3", "--record", str(tmp_path / "rec"))
    (guest,) = result["guests"]
    assert guest["status"] == "timeout"
    assert guest["crash"]["reason"] == "no exit after 3 s in bus_probe"
    assert guest["host"]["integrity"] is None
    assert process.returncode == 1
    assert qemu_processes_mentioning(str(tmp_path)) == []


@pytest.mark.parametrize("era", ["0.10", "0.17"])
def test_a_9p_root_without_a_share_says_what_it_wanted(tmp_path: Path, share: Path, era: str) -> None:
    """A kernel whose root is a 9P share, run without `--fs`: the mount fails (`Failed to mount fs0
    (9pfs) at /`), and the reason says what the kernel wanted and how to give it; with a share the
    mount's own failure stands alone."""
    append = ["--append", f"uktrace.era={era} uktrace.fault=mountfail", "--timeout", "30"]
    result, process = run_json(*append, "--record", str(tmp_path / "bare"))
    reason = result["guests"][0]["crash"]["reason"]
    assert reason.startswith("Failed to mount fs0 (9pfs) at /: ")
    assert reason.endswith(
        "; the kernel wants a 9P share tagged fs0 and none was given: pass --fs DIR, the directory to share"
    )
    assert process.returncode == 1
    shared, _ = run_json(*append, "--fs", str(share), "--record", str(tmp_path / "shared"))
    assert "9P share" not in shared["guests"][0]["crash"]["reason"]
