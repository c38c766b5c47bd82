"""How a guest ended, when its console did not say: from QEMU's exit status, a spawn that failed,
or a KVM error on QEMU's stderr; and why, in words a user can act on (the limit to raise, the
option to try).
"""

from __future__ import annotations

import errno
import signal

from ..model.guest import Guest
from ..model.timeline import Status
from .qemu import guest_exit_code

KVM_FAILURE = (b"KVM internal error", b"KVM: entry failed")
"""On QEMU's stderr: KVM stopped the VM, and QEMU hangs rather than exits."""


def judge(guest: Guest, status: int, signalled: bool, end_reason: str | None) -> None:
    """Settle the status from QEMU's exit when the console did not. `end_reason`: why the whole
    run ended early, if it did (a guest ended by uktrace says so)."""
    timeline = guest.timeline
    # isa-debug-exit's status 1 is also QEMU's error status: trust it only once the guest ran
    code = guest_exit_code(status, guest.spec.debug_exit) if guest.first_byte_ns is not None else None
    if timeline.status.finished:
        if code is not None and timeline.exit_code is None and timeline.status is Status.EXITED:
            timeline.exit_code = code
        return
    # QEMU exits 0 on SIGTERM: a guest we ended is `stopped`, whatever its status says
    if signalled:
        timeline.stop("stopped by the user" if guest.stop_requested else end_reason or "stopped by uktrace")
    elif code is None and status == 0 and (silence := guest.silent_end(status)) is not None:
        timeline.fail(silence)
    elif status == 0 or code is not None:
        timeline.status = Status.EXITED
        timeline.exit_code = code
    else:
        timeline.fail(qemu_failure(guest.program, status, guest.stderr_tail.decode("utf-8", "replace")))


def kvm_failure(data: bytes, stderr_tail: bytes | bytearray) -> tuple[str, str] | None:
    """(reason, QEMU's line) when `data`, just read from QEMU's stderr, reports a KVM internal error
    (QEMU then stops the VM and hangs: the guest is failed, QEMU ended); None: it does not."""
    if not any(marker in data for marker in KVM_FAILURE):
        return None
    lines = stderr_tail.decode("utf-8", "replace").splitlines()
    line = next((text for text in lines if "KVM" in text), "KVM internal error")
    return f"{line.strip()} (try --accel tcg)", line


def spawn_failure(guest: Guest, error: OSError) -> str:
    """Why QEMU could not even start, with the limit to raise when it is one."""
    program = guest.argv[0] if guest.argv else "QEMU"
    if error.errno == errno.EAGAIN:
        return f"cannot start {program}: process limit reached (ulimit -u); lower -j"
    if error.errno in (errno.EMFILE, errno.ENFILE):
        return f"cannot start {program}: open-file limit reached (ulimit -n); lower -j"
    if error.errno == errno.ENOMEM:
        return f"cannot start {program}: out of memory; lower -j or --mem"
    return f"cannot start {program}: {error.strerror or error}"


def qemu_failure(program: str, status: int, stderr: str) -> str:
    """QEMU's own words (its first error line, else its last line) and a hint where we know one."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    detail = errors[0] if errors else lines[-1] if lines else "no message"
    how = f"killed by {signal.Signals(-status).name}" if status < 0 else f"exited with status {status}"
    hint = ""
    if "failed to set MSR" in stderr or "-cpu host" in stderr:
        hint = " (nested KVM rejects -cpu host: try --cpu qemu64 or --accel tcg)"
    elif "invalid kernel header" in stderr or "Error loading" in stderr:
        hint = " (not a kernel QEMU can boot with -kernel)"
    return f"{program} {how}: {detail}{hint}"
