"""VirtioFS without QEMU: the FUSE handshake read from a recorded console, the daemon found the way
QEMU finds vhost-user backends, and the command lines built for QEMU and the daemon."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import log
from tests.invariant import violations
from uktrace.launch.options import LaunchError, RunOptions, check_virtiofs
from uktrace.launch.qemu import qemu_argv
from uktrace.launch.readonly import READONLY_EXEC
from uktrace.launch.virtiofsd import Daemon, DaemonError, candidates, find_daemon
from uktrace.model.spec import GuestSpec
from uktrace.recording.logs import trace_log

SPEC = GuestSpec("guest-1", Path("/k.elf"), "tcg", fs=Path("/share"), fs_type="virtiofs", memory="64M")


def test_the_fuse_handshake_is_a_phase_inside_the_mount() -> None:
    timeline = trace_log(log("042"))
    assert timeline.status.value == "exited" and violations(timeline) == []
    handshake, mount = timeline.phase("fuse_handshake"), timeline.phase("mount")
    assert handshake is not None and mount is not None and handshake.parent == "mount"
    # from `FUSE_INIT major 7 minor 31` to its reply, stamped 0.082916 and 0.087414 in the log
    assert (handshake.guest_start, handshake.guest_end) == (0.082916, 0.087414)
    assert timeline.phase("9p_handshake") is None


def test_qemu_gets_a_shared_memfd_and_the_vhost_user_device() -> None:
    argv = qemu_argv(replace(SPEC, vhost_socket=Path("/run/vfs/guest-1.sock")))
    assert argv[argv.index("-machine") + 1] == "pc,memory-backend=mem"
    assert argv[argv.index("-object") + 1] == "memory-backend-memfd,id=mem,size=64M,share=on"
    assert "socket,id=vhostfs0,path=/run/vfs/guest-1.sock" in argv
    assert "vhost-user-fs-pci,chardev=vhostfs0,tag=fs0" in argv
    assert not [word for word in argv if "9p" in word or "fsdev" in word]


def test_a_9p_guest_keeps_its_command_line() -> None:
    argv = qemu_argv(GuestSpec("g", Path("/k.elf"), "tcg", fs=Path("/share")))
    assert "virtio-9p-pci,fsdev=hvirtio0,mount_tag=fs0" in argv and "-object" not in argv
    assert argv[argv.index("-machine") + 1] == "pc"


def test_the_c_daemon_runs_read_only_through_a_mount_namespace() -> None:
    daemon = Daemon("/usr/lib/qemu/virtiofsd", rust=False)
    plain = [
        "/usr/lib/qemu/virtiofsd",
        "--socket-path=/s.sock",
        "-o", "source=/share",
        "-o", "cache=auto",
        "-o", "sandbox=namespace",
    ]  # fmt: skip
    assert daemon.argv(Path("/share"), Path("/s.sock"), writable=True) == plain
    readonly = daemon.argv(Path("/share"), Path("/s.sock"), writable=False)
    assert readonly == [sys.executable, "-I", "-S", str(READONLY_EXEC), "/share", "--", *plain]


def test_the_rust_daemon_has_its_own_read_only_switch() -> None:
    daemon = Daemon("/usr/libexec/virtiofsd", rust=True)
    argv = daemon.argv(Path("/share"), Path("/s.sock"), writable=False)
    assert argv == [
        "/usr/libexec/virtiofsd",
        "--socket-path=/s.sock",
        "--shared-dir=/share",
        "--cache=auto",
        "--readonly",
    ]
    assert "--readonly" not in daemon.argv(Path("/share"), Path("/s.sock"), writable=True)


def test_the_daemon_is_found_through_qemus_descriptors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QEMU's vhost-user descriptors (type `fs`) come first, the user's config before the system's;
    a descriptor of another type, or one that is not JSON, is skipped."""
    config = tmp_path / "config"
    descriptors = config / "qemu" / "vhost-user"
    descriptors.mkdir(parents=True)
    (descriptors / "10-gpu.json").write_text(json.dumps({"type": "gpu", "binary": "/gpu"}))
    (descriptors / "20-broken.json").write_text("{")
    (descriptors / "30-fs.json").write_text(json.dumps({"type": "fs", "binary": "/opt/vfs/virtiofsd"}))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    found = candidates("/usr/bin/qemu-system-x86_64")
    assert found[0] == "/opt/vfs/virtiofsd" and "/gpu" not in found
    assert found[-3:] == ["/usr/libexec/virtiofsd", "/usr/lib/qemu/virtiofsd", "/usr/libexec/qemu/virtiofsd"]


def test_no_daemon_anywhere_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A QEMU installed under an empty prefix, no descriptor of the user's, nothing on PATH."""
    if Path("/etc/qemu/vhost-user").is_dir():
        pytest.skip("this host has system-wide vhost-user descriptors")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(DaemonError, match=r"virtiofsd not found .* or pass --virtiofsd PATH"):
        find_daemon(None, str(tmp_path / "bin" / "qemu-system-x86_64"))
    with pytest.raises(DaemonError, match="--virtiofsd /no/such: no such executable"):
        find_daemon("/no/such", "qemu-system-x86_64")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (RunOptions(fs_type="virtiofs"), "--fs-type virtiofs needs --fs DIR"),
        (RunOptions(fs=Path("/s"), fs_type="virtiofs", command="kraft run ."), "does nothing with --cmd"),
        (RunOptions(fs=Path("/s"), fs_type="virtiofs", remote=True), "on this host only"),
        (RunOptions(fs=Path("/s"), virtiofsd="/x"), "--virtiofsd is for --fs-type virtiofs"),
        (RunOptions(fs=Path("/s"), fs_type="nfs"), "--fs-type nfs: choose from 9p, virtiofs"),
    ],
)
def test_combinations_that_cannot_work_are_refused(options: RunOptions, message: str) -> None:
    with pytest.raises(LaunchError, match=message):
        check_virtiofs(options)
