"""`--accel auto`'s verdict from the probe guest's two boots, and the verdicts kept per host boot."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from uktrace.launch.accel import AccelChoice, _cache_key, _cached, _remember, judge
from uktrace.launch.probe import EXIT_STATUS, LOAD_ADDRESS, MARKER, MULTIBOOT_MAGIC, ProbeRun, probe_image


def test_kvm_only_when_it_ran_the_probe() -> None:
    tcg = ProbeRun("tcg", True, 0.21)
    fast = judge(ProbeRun("kvm", True, 0.08), tcg, "host")
    assert fast.accel == "kvm" and fast.reason == "auto: KVM ran a probe guest in 0.08 s, TCG in 0.21 s"
    late = judge(ProbeRun("kvm", False, 1.03, None, late=True), tcg, "host")
    assert late.accel == "tcg"
    assert late.reason == "auto: KVM had not run a probe guest after 1.0 s; TCG ran it in 0.21 s"
    hung = judge(ProbeRun("kvm", False, 1.0, "KVM internal error. Suberror: 1", late=True), tcg, "host")
    assert hung.reason == (
        "auto: KVM had not run a probe guest after 1.0 s (KVM internal error. Suberror: 1); TCG ran it in 0.21 s"
    )
    rejected = judge(ProbeRun("kvm", False, 0.1, "QEMU exited with status 1: failed to set MSR 0x10a"), tcg, "host")
    assert rejected.accel == "tcg"
    assert rejected.reason == (
        "auto: KVM failed a probe guest with -cpu host: QEMU exited with status 1: failed to set MSR 0x10a;"
        " TCG ran it in 0.21 s"
    )
    assert (late.kvm_s, late.tcg_s) == (1.03, 0.21) and late.probed_at is not None


def test_the_probe_image_is_a_multiboot_kernel_that_says_it_ran() -> None:
    image = probe_image()
    magic, flags, checksum, _, load, _, _, entry = struct.unpack_from("<8I", image)
    assert magic == MULTIBOOT_MAGIC and (magic + flags + checksum) & 0xFFFFFFFF == 0
    assert load == LOAD_ADDRESS and entry == LOAD_ADDRESS + 32
    assert all(bytes((0xB0, byte, 0xEE)) in image for byte in MARKER)  # each marker byte written to COM1
    assert EXIT_STATUS == 85


def test_a_verdict_is_kept_for_this_boot_only(tmp_path: Path) -> None:
    path = tmp_path / "uktrace" / "accel.json"
    key = _cache_key("sh", "pc", "host")
    assert key is not None
    choice = AccelChoice("tcg", "auto: KVM had not run a probe guest after 1.0 s; TCG ran it in 0.21 s", 1.0, 0.21, 1e9)
    assert _cached(path, key) is None
    stale = key.replace(key.split("|")[1], "another-boot")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({stale: choice.as_dict()}))
    _remember(path, key, choice)
    assert list(json.loads(path.read_text())) == [key]  # a previous boot's verdicts are dropped
    kept = _cached(path, key)
    assert kept is not None and kept.accel == "tcg"
    assert kept.reason is not None and kept.reason.startswith(f"{choice.reason} (probed at ")
    assert kept.reason.endswith(", kept until the host reboots)")
    assert _cached(path, key.replace("|host", "|qemu64")) is None  # another CPU model: probed anew
    path.write_text("not json")
    assert _cached(path, key) is None
