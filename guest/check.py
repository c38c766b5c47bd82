#!/usr/bin/env python3
"""Boot the uktrace test guest under QEMU (TCG) in every configuration and check it.

For each Unikraft era, the guest boots without a share and with a 9P share
holding a fresh hello.txt (a random token proves the content came over 9P);
then every uktrace.fault knob runs, uktrace.delay with good and bad
values, and uktrace.fs_write on a writable share. Each boot is checked for its QEMU exit
status, the integrity line (the N bytes before it must have the printed
CRC-32), the era's printk prefix on every log line, monotonic
timestamps, and the key lines of that scenario. Prints one table row per
boot; exits 1 if any row failed. Standard library only.

    python3 guest/check.py [--qemu PATH] [--era 0.10] [--hang-timeout 3]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import select
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

GUEST = Path(__file__).resolve().parent
ELF = GUEST / "build" / "uktrace-guest.elf"
ERAS = ("0.4", "0.5", "0.10", "0.17")

# isa-debug-exit: QEMU exits with (guest code << 1) | 1
EXIT_OK, EXIT_FAILED, EXIT_CRASH = 1, 3, 5

DELAY_RE = re.compile(r"uktrace\.delay: waited (\d+) ms in \w+$")
INTEGRITY_RE = re.compile(rb"(?m)^uktrace-integrity: bytes=(\d+) crc32=([0-9a-f]{8})\n")
_TS = r"\[\s*(\d+)\.(\d{6})\] (?:dbg|Info|Warn|ERR|CRIT):\s+"
# the printk prefix of each era (lib/ukdebug/print.c)
PREFIX_RE = {
    "0.4": re.compile(_TS + r"\[[\w]+\] [\w.]+ @ \d+\s*: "),
    "0.5": re.compile(_TS + r"\[[\w]+\] <[\w.]+ @ +\d+> "),
    "0.10": re.compile(_TS + r"\{r:0x[0-9a-f]+,f:0x[0-9a-f]+\} \[[\w]+\] <[\w.]+ @ +\d+> "),
    "0.17": re.compile(_TS + r"\[[\w]+\] <[\w.]+ @ +\d+> "),
}


@dataclass
class Case:
    era: str
    share: bool
    knob: str  # value of uktrace.fault, "" for a normal boot
    status: int | None  # expected QEMU exit status, None = must hang
    expect: list[str] = field(default_factory=list)  # regexes that must match
    forbid: list[str] = field(default_factory=list)  # regexes that must not
    raw: bytes = b""  # bytes that must appear verbatim
    extra: str = ""  # more kernel command line words (uktrace.delay=...)
    name: str = ""  # shown instead of the knob in the table
    stdin: bytes = b""  # typed into the console (uktrace.serve)


@dataclass
class Result:
    case: Case
    status: int | None
    data: bytes
    secs: float
    integrity: str
    problems: list[str]


def boot_lines(era: str) -> list[str]:
    """Lines every boot of this era prints up to the init table."""
    if era == "0.17":
        lines = [
            r"Unikraft Testguest \(0\.17\.0~uktrace\)",
            r"Architecture: x86",
            r"Boot loader : \S*multiboot",
            r"Command line: \S+",
            r"Boot memory map:",
            r" [0-9a-f]{12}-[0-9a-f]{12} [0-9a-f]{12} [r-][w-][x-] [0-9a-f]{16} krnl",
            r"Initialize the IRQ subsystem\.\.\.",
            r"Initialize scheduling\.\.\.",
            r"Call init function: 0x[0-9a-f]+\(0x[0-9a-f]+\)\.\.\.",
        ]
    else:
        lines = [
            r"\[libkvmplat\] .*Entering from KVM \(x86\)\.\.\.$",
            r"     multiboot: 0x[0-9a-f]+$",
            r"No initrd present",
            r"    heap start: 0x[0-9a-f]+$",
            r"     stack top: 0x[0-9a-f]+$",
            r"Initialize IRQ subsystem\.\.\.",
            r"Initializing cooperative scheduler",
            r"Call init function: 0x[0-9a-f]+\(\)\.\.\.",
        ]
    return [
        *lines,
        r"Switch from bootstrap stack to stack @0x[0-9a-f]+$",
        r"\[libukboot\] .*Unikraft constructor table at 0x[0-9a-f]+ - 0x[0-9a-f]+$",
        r"Call constructor: 0x[0-9a-f]+\(\)\)\.\.\.$",
        r"\[libukbus\] .*Register bus handler: 0x[0-9a-f]+$",
        r"Initialize memory allocator\.\.\.",
        r"Try memory region: 0x[0-9a-f]+ - 0x[0-9a-f]+ \(flags: 0x31\)",
        r"\[libukallocbbuddy\] .*Initialize binary buddy allocator [0-9a-f]+$",
        r"Initialize platform time\.\.\.",
        r"\[libkvmplat\] .*Calibrating TSC clock against i8254 timer",
        r"Clock source: TSC, frequency estimate is \d+ Hz",
        r'Thread "main": pointer: 0x',
        r"Init Table @ 0x[0-9a-f]+ - 0x[0-9a-f]+$",
        r"Initialize bus handlers\.\.\.",
        r"Registered transport virtio",
        r"Probe buses\.\.\.",
        r"Probe bus 0x",
        r"Probe PCI$",
        r"PCI 00:00\.00 \(0600 8086:1237\): <no driver>$",
    ]


def banner_lines(era: str) -> list[str]:
    if era == "0.17":
        return [r"^Powered by Unikraft Testguest \(0\.17\.0~uktrace\)$"]
    version = {"0.4": "0.4.0", "0.5": "0.5.0", "0.10": "0.10.0"}[era]
    name = re.escape(f"Testguest {version}~uktrace")
    if era == "0.4":
        return [r"^Welcome to  _ __             _____$", rf"^ {{{35 - len(version) - 18}}}{name}$"]
    return [
        r"^Powered by$",
        r"^ OoOoO \._, \._:_:_,\\_\._,  \.__,_:_, \\___\)$",
        rf"^ {{{39 - len(version) - 18}}}{name}$",
    ]


def main_lines(era: str, rc: int = 0) -> list[str]:
    lines = [r"Pre-init table at 0x", r"Constructor table at 0x", r"Calling main\(1, \['uktrace-guest'\]\)$"]
    if era == "0.17":
        return [*lines, rf"main returned {rc}$", r"Halting system \(0\)$", r"Unikraft halted$"]
    return [*lines, rf"main returned {rc}, halting system$", r"Unikraft halted$"]


def share_lines(era: str) -> list[str]:
    lines = [
        r"PCI 00:0[0-9a-f]\.00 \(0000 1af4:1009\): driver 0x[0-9a-f]+$",
        r"Added virtio-pci device 1009$",
        r"Virtio device 0x[0-9a-f]+ initialized$",
        r"virtio-9p: Configured: features=0x1 tag=fs0$",
        r"virtio-9p: fs0 started$",
        r"VFS: mounting 9pfs at /$",
        r"TVERSION msize \d+ version 9P2000\.[uL]$",
        r"RVERSION msize \d+ version 9P2000\.[uL]$",
        r"TATTACH fid 0 afid 4294967295 uname root aname  n_uname 0$",
        r"RATTACH qid type \d+ version \d+ path \d+$",
    ]
    if era != "0.17":
        lines.append(r"\[libvfscore\] .*Mount 9pfs to /\.\.\.$")
    if era in ("0.10", "0.17"):
        lines.append(r"Added virtio-pci subsystem_device_id 0009$")
    return lines


DELAY_PHASES = ("constructors", "subsystems", "init_table", "bus_probe", "mount", "main")


def cases(eras: tuple[str, ...]) -> list[Case]:
    out = []
    for era in eras:
        base = boot_lines(era)
        mountfail_msg = (
            r"CRIT: .*\[libvfscore\] .*Failed to mount fs0 \(9pfs\) at /: -2$"
            if era in ("0.10", "0.17")
            else r"CRIT: .*\[libvfscore\] .*Failed to mount /: -2$"
        )
        init_err = r"ERR: .*\[libukboot\] .*Init function at 0x[0-9a-f]+ returned error -1$"
        out += [
            Case(
                era,
                False,
                "",
                EXIT_OK,
                base + banner_lines(era) + main_lines(era) + [r"^Hello world!$"],
                forbid=[r"VFS: mounting", r"1af4:1009"],
            ),
            Case(
                era,
                True,
                "",
                EXIT_OK,
                base
                + share_lines(era)
                + banner_lines(era)
                + main_lines(era)
                + [
                    r"TWALK fid 0 newfid 1 nwname 1 name hello\.txt$",
                    r"RREAD count \d+$",
                    r"TCLUNK fid 1$",
                    r"RCLUNK$",
                ],
            ),
            Case(
                era,
                True,
                "crash",
                EXIT_CRASH,
                [
                    *base,
                    r"CRIT: .*\[libkvmplat\] .*Unhandled Trap 0 \(divide error\), error code=0x0$",
                    r"CRIT: .*RIP: [0-9a-f]{16} CS: 0008$",
                    r"CRIT: .*RSP: [0-9a-f]{16} SS: 0010 EFLAGS: [0-9a-f]{8}$",
                    r"CRIT: .*RAX: [0-9a-f]{16} RBX: [0-9a-f]{16} RCX: [0-9a-f]{16}$",
                    r"CRIT: .*RBP: [0-9a-f]{16} R08: ",
                    r"CRIT: .*\[libkvmplat\] .*Crashing$",
                ],
                forbid=[r"main returned"],
            ),
            Case(
                era,
                True,
                "assert",
                EXIT_CRASH,
                [*base, r"CRIT: .*\[libukboot\] .*Assertion failure: \*itr$"],
                forbid=[r"Calling main", r"Powered by"],
            ),
            Case(era, True, "hang", None, [r"PCI 00:00\.00"], forbid=[r"Calling main"]),
            Case(era, True, "garbage", EXIT_OK, main_lines(era), raw=b"\xff\xfe\xc3\x28 \x01\x02\x1b[31m"),
            Case(
                era,
                True,
                "flood=64",
                EXIT_OK,
                [*main_lines(era), r"dbg: .*\[appflood\] .*flood line \d+: the quick brown fox"],
            ),
            Case(
                era,
                True,
                "mountfail",
                EXIT_FAILED,
                [
                    r"VFS: mounting 9pfs at /$",
                    r"RERROR No such file or directory 2$",
                    mountfail_msg,
                    init_err,
                    r"Unikraft halted$",
                ],
                forbid=[r"Calling main", r"Powered by"],
            ),
            Case(
                era,
                False,
                "mountfail",
                EXIT_FAILED,
                [mountfail_msg, init_err, r"Unikraft halted$"],
                forbid=[r"Calling main", r"Powered by"],
            ),
            Case(
                era,
                True,
                "weakmain",
                EXIT_FAILED,
                [
                    r"CRIT: .*\[libukboot\] .*weak main\(\) called\. Symbol was not replaced!$",
                    r"main returned -22",
                    r"Unikraft halted$",
                ],
            ),
            Case(
                era,
                False,
                "bogus",
                EXIT_OK,
                [r"Warn: .*Ignoring invalid kernel parameter 'uktrace\.fault=bogus'", *main_lines(era)],
            ),
            # every phase waits 5 ms (check_log checks the wait on the timestamps)
            Case(
                era,
                True,
                "",
                EXIT_OK,
                base
                + share_lines(era)
                + banner_lines(era)
                + main_lines(era)
                + [rf"dbg: .*\[libuklibparam\] .*uktrace\.delay: waited 5 ms in {p}$" for p in DELAY_PHASES],
                extra="uktrace.delay=constructors:5,subsystems:5,init_table:5 "
                "uktrace.delay=bus_probe:5,mount:5,main:2 uktrace.delay=main:3",
                name="delay",
            ),
            # writes over 9P (check's share is writable and has no victim.txt: the remove's error path)
            Case(
                era,
                True,
                "",
                EXIT_OK,
                base
                + share_lines(era)
                + main_lines(era)
                + [
                    r"Info: .*\[appfswrite\] .*uktrace\.fs_write: write hello\.txt: written 12 bytes$",
                    r"Info: .*\[appfswrite\] .*uktrace\.fs_write: remove victim\.txt: failed \(errno 2\)$",
                ],
                forbid=[r"Ignoring invalid kernel parameter"],
                extra="uktrace.fs_write=1",
                name="fs_write",
            ),
            Case(
                era,
                False,
                "",
                EXIT_OK,
                [
                    r"Warn: .*\[libuklibparam\] .*Ignoring invalid kernel parameter 'uktrace\.delay=nonsense:5' "
                    r"\(unknown phase, expected constructors, subsystems, init_table, bus_probe, mount, banner "
                    r"or main\)$",
                    r"Warn: .*\[libuklibparam\] .*Ignoring invalid kernel parameter 'uktrace\.delay=main:5ms' "
                    r"\(MS must be a number of milliseconds, 0-60000\)$",
                    r"Warn: .*\[libuklibparam\] .*Ignoring invalid kernel parameter 'uktrace\.delay=main' "
                    r"\(expected PHASE:MS\)$",
                    r"Warn: .*\[libvfscore\] .*uktrace\.delay=mount:5 ignored: no 9P device to mount$",
                    *main_lines(era),
                    r"^Hello world!$",
                ],
                forbid=[r"uktrace\.delay: waited"],
                extra="uktrace.delay=nonsense:5,main:5ms uktrace.delay=main uktrace.delay=mount:5",
                name="delay=bad",
            ),
            # a server: listens after 20 ms of main, echoes, quits with the code asked for
            Case(
                era,
                False,
                "",
                EXIT_FAILED,
                [
                    *main_lines(era, 3),
                    r"dbg: .*\[appserve\] .*uktrace\.serve: waited 20 ms before listening$",
                    r"^Listening on port 8081$",
                    r"^echo: hello there$",
                    r"^Bye \(exit code 3\)$",
                ],
                extra="uktrace.serve=20:8081",
                stdin=b"hello there\r\n\nquit 3\r",
                name="serve",
            ),
            Case(
                era,
                False,
                "",
                EXIT_OK,
                [
                    r"Warn: .*\[libuklibparam\] .*Ignoring invalid kernel parameter 'uktrace\.serve=soon' "
                    r"\(MS must be a number of milliseconds, 0-60000\)$",
                    r"Warn: .*\[libuklibparam\] .*Ignoring invalid kernel parameter 'uktrace\.serve=5:99999' "
                    r"\(PORT must be a number, 1-65535\)$",
                    *main_lines(era),
                ],
                forbid=[r"Listening on"],
                extra="uktrace.serve=soon uktrace.serve=5:99999",
                name="serve=bad",
            ),
        ]
    return out


def qemu_argv(qemu: str, append: str, share: Path | None) -> list[str]:
    argv = [
        qemu,
        "-accel",
        "tcg",
        "-machine",
        "pc",
        "-m",
        "64",
        "-display",
        "none",
        "-monitor",
        "none",
        "-serial",
        "stdio",
        "-no-reboot",
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-kernel",
        str(ELF),
        "-append",
        append,
    ]
    if share is not None:
        path = str(share).replace(",", ",,")
        argv += [
            "-fsdev",
            f"local,id=fs0,path={path},security_model=none",
            "-device",
            "virtio-9p-pci,fsdev=fs0,mount_tag=fs0,disable-modern=on,disable-legacy=off",
        ]
    return argv


def check_integrity(data: bytes) -> tuple[str, int]:
    """Return (verdict, bytes covered) for the last integrity line."""
    matches = list(INTEGRITY_RE.finditer(data))
    if not matches:
        return "absent", 0
    m = matches[-1]
    n, want = int(m.group(1)), int(m.group(2), 16)
    start = m.start()
    if n > start:
        return "FAIL", n
    return ("OK" if zlib.crc32(data[start - n : start]) == want else "FAIL"), n


def check_log(case: Case, text: str, data: bytes) -> list[str]:
    problems = []
    lines = text.splitlines()
    for pattern in case.expect:
        if not any(re.search(pattern, line) for line in lines):
            problems.append(f"missing /{pattern}/")
    for pattern in case.forbid:
        if any(re.search(pattern, line) for line in lines):
            problems.append(f"unexpected /{pattern}/")
    if case.raw and case.raw not in data:
        problems.append(f"missing raw {case.raw!r}")
    # every printk line has the era's prefix; time never goes back
    prefix, last, calibrated = PREFIX_RE[case.era], -1, False
    for line in lines:
        if not line.startswith("[ "):
            continue
        m = prefix.match(line)
        if not m:
            problems.append(f"bad prefix: {line[:60]!r}")
            break
        usec = int(m.group(1)) * 1_000_000 + int(m.group(2))
        if usec < last:
            problems.append(f"time went back at {line[:40]!r}")
            break
        calibrated |= usec > 0
        # uktrace.delay after calibration: the wait shows between two stamps
        delay = DELAY_RE.search(line)
        if delay and usec > 0 and usec - last < int(delay.group(1)) * 1000:
            problems.append(f"waited only {usec - last} us: {line[m.end() :]!r}")
            break
        last = usec
    if case.status is not None and not calibrated:
        problems.append("no timestamp after calibration")
    return problems


def type_when_listening(proc: subprocess.Popen[bytes], typed: bytes, timeout: float = 30) -> bytes:
    """Read the console until the server's `Listening on port` line, then type `typed` (as a person
    would: what reaches a UART before its driver starts is gone); returns what was read."""
    assert proc.stdout is not None and proc.stdin is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while b"Listening on port" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
    proc.stdin.write(typed)
    proc.stdin.flush()
    return seen


def run(case: Case, qemu: str, hang_timeout: float, workdir: Path) -> Result:
    share, token = None, ""
    if case.share:
        share = workdir / f"share-{case.era}-{case.name or case.knob or 'boot'}"
        share.mkdir(exist_ok=True)
        token = secrets.token_hex(8)
        (share / "hello.txt").write_text(f"Hello from the 9P share, token {token}\n")
    append = f"uktrace.era={case.era}" + (f" uktrace.fault={case.knob}" if case.knob else "")
    append += f" {case.extra}" if case.extra else ""
    t0 = time.monotonic()
    proc = subprocess.Popen(
        qemu_argv(qemu, append, share),
        stdin=subprocess.PIPE if case.stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        early = type_when_listening(proc, case.stdin) if case.stdin else b""
        data, err = proc.communicate(timeout=hang_timeout if case.status is None else 30)
        data = early + data
        status: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        data, err = proc.communicate()
        status = None
    secs = time.monotonic() - t0

    text = data.decode("utf-8", errors="replace")
    problems = check_log(case, text, data)
    if status != case.status:
        problems.insert(0, f"exit {status}, expected {case.status}")
    integrity, _ = check_integrity(data)
    if case.status is None:
        integrity = "none" if integrity == "absent" else "UNEXPECTED"
    if integrity not in ("OK", "none"):
        problems.append(f"integrity {integrity}")
    if b"\r" in data:
        problems.append("guest wrote \\r")
    if case.share and not case.knob and f"token {token}" not in text:
        problems.append("hello.txt content from the share not printed")
    if case.knob.startswith("flood="):
        kib = int(case.knob.split("=")[1])
        flood = sum(len(line) + 1 for line in text.splitlines() if "[appflood]" in line)
        if flood < kib * 1024:
            problems.append(f"flood only {flood} bytes")
    if err.strip():
        problems.append("qemu stderr: " + err.decode(errors="replace").strip().splitlines()[0])
    return Result(case, status, data, secs, integrity, problems)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--era", action="append", choices=ERAS, help="only these eras (repeatable)")
    ap.add_argument(
        "--hang-timeout", type=float, default=3.0, help="seconds to wait before declaring the hang knob hung"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="print every problem")
    args = ap.parse_args()

    subprocess.run(["make", "-s", "-C", str(GUEST)], check=True)
    header = f"{'era':5} {'share':5} {'knob':10} {'exit':>9} {'bytes':>7} {'integrity':9} {'secs':>5}  keys"
    print(header)
    print("-" * len(header))
    results = []
    with tempfile.TemporaryDirectory(prefix="uktrace-guest-") as tmp:
        for case in cases(tuple(args.era or ERAS)):
            r = run(case, args.qemu, args.hang_timeout, Path(tmp))
            results.append(r)
            exp = "hang" if case.status is None else str(case.status)
            got = "hang" if r.status is None else str(r.status)
            keys = "OK" if not r.problems else f"FAIL ({len(r.problems)}): {r.problems[0]}"
            print(
                f"{case.era:5} {'yes' if case.share else 'no':5} {case.name or case.knob or '-':10} "
                f"{got + '/' + exp:>9} {len(r.data):7d} {r.integrity:9} {r.secs:5.2f}  {keys}",
                flush=True,
            )
            if args.verbose:
                for p in r.problems[1:]:
                    print(f"{'':51}{p}")
    failed = [r for r in results if r.problems]
    boots = sorted(r.secs for r in results if r.case.status is not None)
    print(
        f"\n{len(results) - len(failed)}/{len(results)} passed; "
        f"boot time min {boots[0]:.2f}s median {boots[len(boots) // 2]:.2f}s max {boots[-1]:.2f}s "
        "(exit column: got/expected QEMU status)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
