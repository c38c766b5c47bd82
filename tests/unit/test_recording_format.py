"""What a recording keeps so it travels: the kernel's identity and symbols, the session's facts."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import stat
import struct
import time
from pathlib import Path

import pytest

from tests.conftest import say_in_session, tracer_booting
from uktrace.cli.main import main
from uktrace.kernel.find import TEST_GUEST
from uktrace.kernel.identity import identify, libinfo_release, string_release
from uktrace.kernel.symbols import Symbols, find_symbols, load_symbols, read_symbols, write_symbols
from uktrace.parsers import UnikraftVersion
from uktrace.recording import qemu_version
from uktrace.recording.kernels import record_kernel, recorded_symbols
from uktrace.recording.reader import read_session
from uktrace.recording.record import FORMAT, RecordingError, end_session, start_session

needs_guest = pytest.mark.skipif(not TEST_GUEST.is_file(), reason="needs the built test guest")


def test_a_symbols_file_reads_back_exactly(tmp_path: Path) -> None:
    # aliases at one address and a size-less symbol: the order (hence every lookup) must survive
    symbols = Symbols([(0x1100, 0x10, "helper"), (0x1000, 0x20, "main"), (0x1000, 0x20, "alias"), (0x2000, 0, "end")])
    path = tmp_path / "k.symbols"
    write_symbols(symbols, path, source="kernel.dbg")
    again = read_symbols(path)
    assert again is not None and list(again) == list(symbols)
    assert [again.lookup(a) for a in (0x1000, 0x101C, 0x1105, 0x2010)] == [
        "main",
        "main+0x1c",
        "helper+0x5",
        "end+0x10",
    ]
    assert path.read_text().splitlines()[:2] == [
        "# uktrace symbols: start size name (hex, hex, name), one function per line; from kernel.dbg",
        "1000\t20\talias",
    ]


def test_a_missing_or_garbled_symbols_file_is_no_table(tmp_path: Path) -> None:
    assert read_symbols(tmp_path / "absent.symbols") is None
    (tmp_path / "bad.symbols").write_text("not\ta table\n")
    assert read_symbols(tmp_path / "bad.symbols") is None


def libinfo(*headers: list[tuple[int, bytes]], order: str = "<") -> bytes:
    """A `.uk_libinfo` section: per header (u32 len, u16 layout) then records (u16 type, u32 len, data)."""
    out = b""
    for records in headers:
        body = b"".join(struct.pack(f"{order}HI", kind, 6 + len(data)) + data for kind, data in records)
        out += struct.pack(f"{order}IH", 6 + len(body), 1) + body
    return out


def test_the_release_from_uk_libinfo() -> None:
    library = [(0x0001, b"libukboot\0"), (0x0003, b"1.0\0")]
    unikraft = [(0x0007, b"0.17.0~5cc9ac1\0"), (0x0008, b"Calypso\0"), (0x000B, b"gcc 12\0")]
    expected = UnikraftVersion("0.17.0", "Calypso", "5cc9ac1")
    assert libinfo_release(libinfo(library, unikraft)) == expected
    assert libinfo_release(libinfo(library, unikraft, order=">"), little_endian=False) == expected
    assert libinfo_release(libinfo(library)) is None  # libraries only: Unikraft's own header is missing
    assert libinfo_release(libinfo(library, unikraft)[:-3]) is None  # truncated: say nothing


@pytest.mark.parametrize(
    ("strings", "release"),
    [
        (b"\0Unikraft Calypso (0.17.0~5cc9ac1)\n\0", UnikraftVersion("0.17.0", "Calypso", "5cc9ac1")),
        (b"\0Powered by Unikraft Atlas (0.13.1~21ce1acf)\n\0", UnikraftVersion("0.13.1", "Atlas", "21ce1acf")),
        (b"\0                  Tethys 0.5.0~a1b2c3d\0", UnikraftVersion("0.5.0", "Tethys", "a1b2c3d")),
        (b"\0OpenSSL 1.1.1\0Linux 6.1.0\0", None),  # any library's version string is not Unikraft's
        (b"\0Unikraft Testguest (%s)\0" + b"0.10.0~uktrace\0", None),  # formatted at run time
        (b"\0Unikraft Phoebe (0.10.0~aaaaaaa)\0Unikraft Calypso (0.17.0~bbbbbbb)\0", None),  # which one?
    ],
)
def test_the_release_from_version_strings(strings: bytes, release: UnikraftVersion | None) -> None:
    assert string_release(strings) == release


@needs_guest
def test_the_test_guest_is_identified_without_a_release() -> None:
    image = identify(TEST_GUEST)
    data = TEST_GUEST.read_bytes()
    assert (image.sha256, image.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert image.unikraft is None  # it logs like four releases: none is its own


@needs_guest
def test_symbols_are_stored_once_per_image_and_outlive_the_kernel(tmp_path: Path) -> None:
    kernel = tmp_path / "build" / "app_qemu-x86_64"
    kernel.parent.mkdir()
    shutil.copy(TEST_GUEST, kernel)
    run = tmp_path / "run"
    image = record_kernel(run, kernel)
    assert image is not None
    sha = hashlib.sha256(kernel.read_bytes()).hexdigest()
    assert image == {
        "sha256": sha,
        "size": kernel.stat().st_size,
        "unikraft": None,
        "symbols": f"kernels/{sha}.symbols",
    }
    table = run / image["symbols"]
    written = table.stat().st_mtime_ns
    assert record_kernel(run, kernel) == image and table.stat().st_mtime_ns == written  # deduplicated
    meta = {"kernel": str(kernel), "kernel_image": image}
    expected = list(load_symbols(TEST_GUEST) or [])
    kernel.unlink()
    find_symbols.cache_clear()
    assert list(recorded_symbols(run, meta) or []) == expected  # the recording's own table


@needs_guest
def test_without_its_table_a_recording_trusts_only_the_same_kernel(tmp_path: Path) -> None:
    kernel = tmp_path / "kernel"
    shutil.copy(TEST_GUEST, kernel)
    image = record_kernel(tmp_path / "run", kernel)
    assert image is not None
    shutil.rmtree(tmp_path / "run" / "kernels")  # copied without it
    meta = {"kernel": str(kernel), "kernel_image": image}
    assert recorded_symbols(tmp_path / "run", meta) is not None  # still the same image
    kernel.write_bytes(kernel.read_bytes() + b"rebuilt")
    find_symbols.cache_clear()
    assert recorded_symbols(tmp_path / "run", meta) is None  # rebuilt: its addresses would lie
    # a format-1 recording never knew which image it ran: any file at the path, as before
    assert recorded_symbols(tmp_path / "run", {"kernel": str(kernel)}) is not None
    assert recorded_symbols(tmp_path / "run", {"kernel": str(tmp_path / "gone")}) is None


def test_an_unreadable_kernel_has_no_identity(tmp_path: Path) -> None:
    assert record_kernel(tmp_path / "run", tmp_path / "absent") is None
    assert not (tmp_path / "run").exists()


def fake_qemu(tmp_path: Path) -> Path:
    qemu = tmp_path / "qemu-system-x86_64"
    qemu.write_text("#!/bin/sh\necho 'QEMU emulator version 9.9.9'\necho 'Copyright (c) 2003-2024'\n")
    qemu.chmod(qemu.stat().st_mode | stat.S_IEXEC)
    return qemu


def test_the_session_says_what_ran_where(tmp_path: Path) -> None:
    qemu = fake_qemu(tmp_path)
    start_session(tmp_path / "rec", ["uktrace", "run"], {"qemu": str(qemu), "cmd": None}, ["guest-1"])
    session = json.loads((tmp_path / "rec" / "session.json").read_text())
    assert session["format"] == FORMAT == 2
    assert session["qemu"] == "QEMU emulator version 9.9.9"
    assert session["host"] == {"cpus": os.cpu_count(), "kernel": platform.release()}
    assert session["guests"] == ["guest-1"] and session["uktrace"]


BOOTING = tracer_booting(0.02, window_s=1.5, wakeups_per_s=240.0)


def test_the_session_gets_what_uktrace_took_once_the_run_ended(tmp_path: Path) -> None:
    start_session(tmp_path / "rec", ["uktrace", "run"], {"qemu": str(fake_qemu(tmp_path)), "cmd": None}, ["guest-1"])
    before = json.loads((tmp_path / "rec" / "session.json").read_text())
    end_session(tmp_path / "rec", BOOTING)  # type: ignore[arg-type]  # a plain dict of its fields
    assert json.loads((tmp_path / "rec" / "session.json").read_text()) == before | {"tracer": BOOTING, "observer": None}
    assert read_session(tmp_path / "rec").document["tracer"] == BOOTING
    (tmp_path / "bare").mkdir()
    end_session(tmp_path / "bare", BOOTING)  # type: ignore[arg-type]  # a fleet run without a session
    assert list((tmp_path / "bare").iterdir()) == []


@pytest.mark.parametrize(
    ("tracer", "problem"),
    [
        ({**BOOTING, "share": "all of it"}, "tracer: share is not a number"),
        ({key: value for key, value in BOOTING.items() if key != "share"}, "(no share)"),
        ({**BOOTING, "cpus": 0}, "tracer: cpus"),
        ([0.5], "tracer is not uktrace's CPU while the guests booted"),
    ],
)
def test_a_recorded_tracers_cost_that_is_unsound_is_left_out_and_said(
    tmp_path: Path, tracer: object, problem: str
) -> None:
    start_session(tmp_path / "rec", ["uktrace", "run"], {"qemu": str(fake_qemu(tmp_path)), "cmd": None}, ["guest-1"])
    say_in_session(tmp_path / "rec", tracer=tracer)
    read = read_session(tmp_path / "rec")
    assert "tracer" not in read.document
    assert any(problem in line for line in read.problems), read.problems


def test_a_launcher_run_names_no_qemu(tmp_path: Path) -> None:
    qemu = fake_qemu(tmp_path)
    start_session(tmp_path / "a", ["uktrace"], {"qemu": str(qemu), "cmd": "kraft run ."}, ["guest-1"])
    start_session(tmp_path / "b", ["uktrace"], {"qemu": str(tmp_path / "no-such-qemu"), "cmd": None}, ["guest-1"])
    assert json.loads((tmp_path / "a" / "session.json").read_text())["qemu"] is None
    assert json.loads((tmp_path / "b" / "session.json").read_text())["qemu"] is None


def test_session_json_keeps_the_users_options_and_no_object(tmp_path: Path) -> None:
    """The `uktrace` script hands `main` its TUI function; session.json must not keep its repr."""

    def show(fleet: object, title: str, cleanup: object = None) -> None:
        raise AssertionError("no terminal here: headless")

    share = tmp_path / "share"
    share.mkdir()
    argv = ["run", "--cmd", "true", "--fs", str(share), "--headless", "--record", str(tmp_path / "rec"), "--", "-x"]
    main(argv, tui=show)
    text = (tmp_path / "rec" / "session.json").read_text()
    assert " at 0x" not in text and "<function" not in text
    options = json.loads(text)["options"]
    assert "tracer" in json.loads(text)  # added as the run ended
    assert "tui" not in options and "handler" not in options
    assert options["fs"] == str(share) and options["record"] == str(tmp_path / "rec")
    assert options["command"] == "run" and options["cmd"] == "true" and options["extra"] == ["-x"]


def test_an_option_that_is_not_json_is_refused_not_written_as_its_repr(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        start_session(tmp_path / "rec", ["uktrace"], {"cmd": "true", "tui": print}, ["guest-1"])


def test_the_qemu_version_asked_early_is_the_one_the_session_names(tmp_path: Path) -> None:
    """`run` asks QEMU its version before importing the rest of itself; the session takes that
    answer, not a second question (each QEMU asked writes a line to `asked`)."""
    asked = tmp_path / "asked"
    qemu = tmp_path / "qemu-system-x86_64"
    qemu.write_text(f"#!/bin/sh\necho $$ >> {asked}\necho 'QEMU emulator version 9.9.8'\n")
    qemu.chmod(qemu.stat().st_mode | stat.S_IEXEC)
    qemu_version.ask(str(qemu))
    deadline = time.monotonic() + 30
    while not asked.exists() and time.monotonic() < deadline:  # it runs before the session is written
        time.sleep(0.01)
    assert asked.exists()
    start_session(tmp_path / "rec", ["uktrace", "run"], {"qemu": str(qemu), "cmd": None}, ["guest-1"])
    assert json.loads((tmp_path / "rec" / "session.json").read_text())["qemu"] == "QEMU emulator version 9.9.8"
    assert len(asked.read_text().split()) == 1


def test_the_tracers_cost_is_never_added_through_a_link(tmp_path: Path) -> None:
    start_session(tmp_path / "rec", ["uktrace", "run"], {"qemu": str(fake_qemu(tmp_path)), "cmd": None}, ["guest-1"])
    elsewhere = tmp_path / "elsewhere.json"
    (tmp_path / "rec" / "session.json").rename(elsewhere)
    (tmp_path / "rec" / "session.json").symlink_to(elsewhere)
    before = elsewhere.read_text()
    with pytest.raises(RecordingError, match="cannot add uktrace's own CPU"):
        end_session(tmp_path / "rec", BOOTING)  # type: ignore[arg-type]
    assert elsewhere.read_text() == before and (tmp_path / "rec" / "session.json").is_symlink()


EFFECT = {
    "concurrency": 3,
    "made": 1796700965.1,
    "fs": "shared",
    "metrics": [
        {"metric": "main", "verdict": "faster", "difference": -0.1, "median_unobserved": 0.6, "interval": [-0.2, -0.05]}
    ],
    "wakeups": [{"metric": "main", "verdict": "faster"}],
}


@pytest.mark.parametrize(
    ("observer", "problem"),
    [
        (
            {**EFFECT, "metrics": [{"metric": "main", "verdict": "faster", "interval": [1.0, 2.0, 3.0]}]},
            "interval is not",
        ),
        ({**EFFECT, "metrics": [{"metric": "main", "verdict": "faster", "interval": [2.0, 1.0]}]}, "interval is not"),
        ({**EFFECT, "metrics": [{"verdict": "faster"}]}, "(no metric)"),
        ({**EFFECT, "concurrency": "three"}, "observer: concurrency"),
        ({**EFFECT, "wakeups": "all"}, "observer: wakeups"),
    ],
)
def test_a_recorded_observer_check_that_is_unsound_is_left_out_and_said(
    tmp_path: Path, observer: object, problem: str
) -> None:
    start_session(tmp_path / "rec", ["uktrace", "run"], {"qemu": str(fake_qemu(tmp_path)), "cmd": None}, ["guest-1"])
    end_session(tmp_path / "rec", None, EFFECT)  # type: ignore[arg-type]  # a plain dict of its fields
    assert read_session(tmp_path / "rec").document["observer"] == EFFECT
    say_in_session(tmp_path / "rec", observer=observer)
    read = read_session(tmp_path / "rec")
    assert "observer" not in read.document
    assert any(problem in line for line in read.problems), read.problems
