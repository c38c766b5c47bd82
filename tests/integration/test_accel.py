"""`--accel auto` means what works here: a probe guest under KVM, else TCG, and why (real QEMU)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.integration.conftest import run_json
from uktrace.launch.accel import choose_accel, kvm_problem
from uktrace.launch.probe import run_probe

QEMU = shutil.which("qemu-system-x86_64") or "qemu-system-x86_64"
needs_kvm_device = pytest.mark.skipif(
    kvm_problem() is not None, reason="/dev/kvm does not open here: auto is TCG without a probe"
)


def test_the_probe_guest_runs_under_tcg() -> None:
    run = run_probe(QEMU, "tcg", "max", "pc", 60)
    assert run.ran and run.problem is None and not run.late


def test_a_probe_that_cannot_start_is_said() -> None:
    run = run_probe("/nonexistent/qemu", "tcg", "max", "pc", 5)
    assert not run.ran and run.problem is not None and "cannot start" in run.problem


def kvm_breaking_qemu(tmp_path: Path, under_kvm: str) -> Path:
    """QEMU as it is, except under `-accel kvm`, where it does `under_kvm` (as a nested host's
    does); every command line it is given is logged in `calls.log`."""
    script = tmp_path / "qemu"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {tmp_path / "calls.log"}\n'
        f'case " $* " in *" -accel kvm "*) {under_kvm} ;; esac\n'
        f'exec {QEMU} "$@"\n'
    )
    script.chmod(0o755)
    return script


def auto_run(qemu: Path, tmp_path: Path, name: str) -> tuple[dict[str, object], int]:
    os.environ["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # passed on to the uktrace subprocess
    try:
        result, process = run_json("--accel", "auto", "--qemu", str(qemu), "--record", str(tmp_path / name))
    finally:
        del os.environ["XDG_CACHE_HOME"]
    return result, process.returncode


@needs_kvm_device
def test_auto_falls_back_to_tcg_when_kvm_rejects_the_cpu_model(tmp_path: Path) -> None:
    """Nested KVM rejecting `-cpu host`: /dev/kvm opens, so auto used to pick KVM and every guest
    failed. The probe sees it; the guests boot under TCG; the run says why, once per boot of the host."""
    rejecting = 'echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x2000c04" >&2; exit 1'
    qemu = kvm_breaking_qemu(tmp_path, rejecting)
    result, status = auto_run(qemu, tmp_path, "first")
    (guest,) = result["guests"]  # type: ignore[misc]
    assert status == 0 and guest["status"] == "exited" and guest["host"]["accel"] == "tcg"
    reason = guest["host"]["accel_reason"]
    assert reason.startswith("auto: KVM failed a probe guest with -cpu host: QEMU exited with status 1:")
    assert "failed to set MSR 0x10a" in reason and "TCG ran it in" in reason
    assert result["summary"]["accel"] == {"accel": "tcg", "reason": reason}  # type: ignore[index]
    # the verdict is kept: a second run probes nothing
    again, status = auto_run(qemu, tmp_path, "second")
    assert status == 0 and again["summary"]["accel"]["reason"].endswith("kept until the host reboots)")  # type: ignore[index]
    kvm_calls = [line for line in (tmp_path / "calls.log").read_text().splitlines() if "-accel kvm" in line]
    assert len(kvm_calls) == 1
    cached = json.loads((tmp_path / "cache" / "uktrace" / "accel.json").read_text())
    assert [entry["accel"] for entry in cached.values()] == ["tcg"]


@needs_kvm_device
def test_auto_falls_back_to_tcg_when_kvm_dies_with_an_internal_error(tmp_path: Path) -> None:
    """What real Unikraft met here: QEMU prints the KVM internal error and hangs. The probe's
    deadline ends it; QEMU's words are the reason."""
    dying = "echo 'KVM internal error. Suberror: 1' >&2; echo 'emulation failure' >&2; exec sleep 600"
    chosen = choose_accel("auto", str(kvm_breaking_qemu(tmp_path, dying)), cache=tmp_path / "accel.json")
    assert chosen.accel == "tcg"
    assert chosen.reason is not None
    assert chosen.reason.startswith("auto: KVM had not run a probe guest after ")
    assert "(KVM internal error. Suberror: 1); TCG ran it in " in chosen.reason
    assert not [line for line in os.popen("ps -eo args").read().splitlines() if "exec sleep 600" in line]


@needs_kvm_device
def test_auto_here_boots_the_guest_and_says_why(tmp_path: Path) -> None:
    """On this host, whichever auto picks boots the test guest, and the run says which and why."""
    result, status = auto_run(Path(QEMU), tmp_path, "real")
    (guest,) = result["guests"]  # type: ignore[misc]
    assert status == 0 and guest["status"] == "exited"
    summary = result["summary"]["accel"]  # type: ignore[index]
    assert summary["accel"] == guest["host"]["accel"] in ("tcg", "kvm")
    assert summary["reason"].startswith(f"auto: KVM {'ran' if summary['accel'] == 'kvm' else 'had not run'} a probe")
