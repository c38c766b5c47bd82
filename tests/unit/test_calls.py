"""Constructor, init and term calls: the call-line table on every era's format, the spans the
timeline makes of them (ends, clocks, phases), naming and libraries, and the real logs."""

from __future__ import annotations

import pytest

from tests.conftest import log
from uktrace.kernel.symbols import Symbols
from uktrace.model.calls import Call, named, sort_calls
from uktrace.model.json_shape import timeline_dict
from uktrace.model.timeline import BootTimeline, Status
from uktrace.parsers import ConsoleParser
from uktrace.parsers.calls import KLVL_DEBUG, PRINTD, call_of, debug_option
from uktrace.parsers.phases import phase_of
from uktrace.recording.logs import trace_log

MS = 1_000_000


@pytest.mark.parametrize(
    ("message", "kind", "phase", "address"),
    [
        ("Call constructor 0x10a2f0", "constructor", "constructors", 0x10A2F0),  # 0.2-0.3
        ("Call constructor: 0x1082f0())...", "constructor", "constructors", 0x1082F0),  # 0.4+
        ("Call init function: 0x1110a0()...", "init", "init_table", 0x1110A0),  # 0.4-0.15
        ("Call init function: 0x12a0f0(0x3fdff0)...", "init", "init_table", 0x12A0F0),  # 0.16+
        ("Call pre-init constructor: 0x1403c0()...", "preinit", "main", 0x1403C0),
        ("Call pre-init constructor (entry 0 (0x116000): 0x1403c0())...", "preinit", "main", 0x1403C0),
        ("Call constructor (entry 1 (0x116008): 0x1403e0())...", "constructor", "main", 0x1403E0),
        ("Call term function: 0x12a1b0(0x3fdfe0)...", "term", "exit", 0x12A1B0),
        ("Init function at 0x1110a0 returned error -1", "returned", "init_table", 0x1110A0),
        ("Call constructor: (nil)())...", "constructor", "constructors", 0),
    ],
)
def test_every_call_line_format(message: str, kind: str, phase: str, address: int) -> None:
    found = call_of(message)
    assert found is not None
    rule, got = found
    assert (rule.kind, rule.phase, got) == (kind, phase, address)


@pytest.mark.parametrize(
    "message",
    ["Unikraft constructor table at 0x1 - 0x2", "Init Table @ 0x1 - 0x2", "Call me maybe", "Calling main(1, ['x'])"],
)
def test_other_lines_are_no_calls(message: str) -> None:
    assert call_of(message) is None


def test_release_0_3_markers_are_phases() -> None:
    assert phase_of("Unikraft constructors table at 0x112000") == "constructors"
    assert phase_of("Call constructor 0x10a2f0") == "constructors"
    assert phase_of("Call pre-init constructor (entry 0 (0x1): 0x2())...") == "main"
    assert phase_of("Call constructor (entry 0 (0x1): 0x2())...") == "main"


@pytest.mark.parametrize(
    ("version", "option"),
    [
        ("0.5.0", PRINTD),
        ("0.18.0", PRINTD),
        ("0.20.0", PRINTD),  # lib/ukdebug still prints; lib/ukprint's Kconfig names came with 0.21
        ("0.21.0", "CONFIG_LIBUKPRINT_KLVL_DEBUG=y"),  # lib/ukprint/Config.uk: `config LIBUKPRINT_KLVL_DEBUG`
    ],
)
def test_debug_option_per_release(version: str, option: str) -> None:
    assert debug_option(version) == option


def test_debug_option_when_the_release_is_unknown_or_prints_no_init_lines() -> None:
    assert PRINTD in debug_option(None) and KLVL_DEBUG in debug_option(None)
    assert "constructors only" in debug_option("0.3.1")


def booted(*lines: tuple[int, bytes]) -> BootTimeline:
    timeline = BootTimeline("g")
    timeline.spawned(0)
    parser = ConsoleParser()
    for host_ms, line in lines:
        for record in parser.feed(line, host_ns=host_ms * MS):
            timeline.consume(record)
    return timeline


def dbg(stamp: str, lib: str, message: str, caller: str = "") -> bytes:
    return f"[{stamp:>12}] dbg:  {caller}[{lib}] <boot.c @  1> {message}\n".encode()


def info(stamp: str, lib: str, message: str) -> bytes:
    return f"[{stamp:>12}] Info: [{lib}] <boot.c @  1> {message}\n".encode()


BOOT = (
    (10, info("0.000000", "libukboot", "Unikraft constructor table at 0x108000 - 0x108010")),
    (11, dbg("0.000000", "libukboot", "Call constructor: 0x1033e0())...")),
    (13, dbg("0.000000", "libukboot", "Call constructor: 0x103a80())...")),
    (14, dbg("0.000000", "libukbus", "Register bus handler: 0x108090")),
    (17, info("0.000000", "libukboot", "Initialize memory allocator...")),
    (90, info("0.080000", "libkvmplat", "Clock source: TSC, frequency estimate is 1 Hz")),
    (91, info("0.081000", "libukboot", "Init Table @ 0x108010 - 0x108018")),
    (92, dbg("0.082000", "libukboot", "Call init function: 0x1027b0()...")),
    (93, info("0.083000", "libukbus", "Initialize bus handlers...")),
    (94, info("0.084000", "libukbus", "Probe buses...")),
    (99, dbg("0.090000", "libukboot", "Call init function: 0x1040c0()...")),
    (100, info("0.091000", "libvfscore", "Mount 9pfs to /...")),
    (110, info("0.100000", "libvfscore", "VFS: mounting 9pfs at /")),
    (120, b"Powered by Unikraft Testguest (0.10.0~uktrace)\n"),
    (121, info("0.112000", "libukboot", "Pre-init table at 0x1 - 0x1")),
    (122, dbg("0.113000", "libukboot", "Call pre-init constructor: 0x140000()...")),
    (123, info("0.114000", "libukboot", "Constructor table at 0x1 - 0x2")),
    (124, dbg("0.115000", "libukboot", "Call constructor: 0x140100()...")),
    (125, info("0.117000", "libukboot", "Calling main(1, ['g'])")),
    (130, info("0.120000", "libukboot", "main returned 0")),
    (131, dbg("0.121000", "libukboot", "Call term function: 0x1027f0(0x3fdfe0)...")),
    (132, info("0.123000", "libukboot", "Halting system (0)")),
)


def test_each_table_its_spans_and_ends() -> None:
    calls = booted(*BOOT).calls()
    assert [(c.phase, c.kind, c.address) for c in calls] == [
        ("constructors", "constructor", 0x1033E0),
        ("constructors", "constructor", 0x103A80),
        ("init_table", "init", 0x1027B0),
        ("init_table", "init", 0x1040C0),
        ("main", "preinit", 0x140000),
        ("main", "constructor", 0x140100),  # the application's .init_array, not uk_ctortab
        ("exit", "term", 0x1027F0),
    ]
    first, second, bus, rootfs, preinit, app, term = calls
    # before the guest clock runs: host spans, the next call line or the next phase ends them
    assert (first.clock, first.start, first.end) == ("host", 0.011, 0.013)
    assert (second.clock, second.duration) == ("host", pytest.approx(0.004))
    # bus probe and mount happen inside init functions: their markers end no call
    assert (bus.clock, bus.guest_start, bus.guest_end) == ("guest", 0.082, 0.09)
    # the banner has no stamp: the last init function ends where its arrival places it (10 ms
    # after the last stamp's, so 0.110), not at the last stamp (0.100)
    assert (rootfs.guest_start, rootfs.guest_end) == (0.09, pytest.approx(0.11))
    # boot.c's own lines between the loops end the application's constructors
    assert (preinit.guest_end, app.guest_end) == (0.114, 0.117)
    assert (term.guest_start, term.guest_end) == (0.121, 0.123)
    assert all(call.name is None and call.library is None for call in calls)


def test_a_call_in_progress_has_no_end_until_the_boot_is_over() -> None:
    timeline = booted(*BOOT[:11])
    last = timeline.calls()[-1]
    assert last.address == 0x1040C0 and last.end is None and last.clock is None
    timeline.timed_out(5_000 * MS, 5)
    assert timeline.status is Status.TIMEOUT
    assert timeline.calls()[-1].guest_end == 0.09  # the last thing seen


def test_the_init_error_line_ends_the_failing_call() -> None:
    timeline = booted(
        *BOOT[6:11],
        (101, b"[    0.095000] CRIT: [libvfscore] <rootfs.c @  1> Failed to mount fs0 (9pfs) at /: -2\n"),
        (102, b"[    0.096000] ERR:  [libukboot] <boot.c @  1> Init function at 0x1040c0 returned error -1\n"),
        (103, b"[    0.097000] Info: [libkvmplat] <shutdown.c @  1> Unikraft halted\n"),
    )
    assert timeline.status is Status.FAILED
    assert timeline.calls()[-1].guest_end == 0.096


def test_a_process_exit_ends_the_call_on_the_host_clock() -> None:
    timeline = booted(*BOOT[:3])
    timeline.process_exited(50 * MS)
    last = timeline.calls()[-1]
    assert (last.clock, last.host_end, last.guest_end) == ("host", 0.05, None)


def test_a_saved_log_cannot_time_constructors() -> None:
    timeline = BootTimeline("log")
    for record in ConsoleParser().feed(b"".join(line for _, line in BOOT[:8])):
        timeline.consume(record)
    timeline.finish()
    calls = timeline.calls()
    assert [c.clock for c in calls] == [None, None, "guest"]
    assert calls[0].duration is None and calls[0].guest_start == calls[0].guest_end == 0.0


SYMBOLS = Symbols(
    [
        (0x1027B0, 0x80, "uk_bus_init_all"),
        (0x1033E0, 0x40, "uk_libparam_report"),
        (0x103A80, 0x40, "libukbus_pci_uk_bus_register"),
        (0x1040C0, 0x200, "vfscore_rootfs"),
    ]
)


def test_names_and_libraries_from_symbols_callers_and_prefixes() -> None:
    timeline = booted(
        BOOT[0],
        BOOT[1],
        (12, dbg("0.000000", "libukbus", "Register bus handler: 0x1", caller="{r:0x102970,f:0x1} ")),
        BOOT[2],
        (14, dbg("0.000000", "libukbus_pci", "PCI bus handler", caller="{r:0x103500,f:0x1} ")),
        BOOT[4],
        *BOOT[6:8],
        (93, info("0.083000", "libukbus", "Initialize bus handlers...")),
        (94, dbg("0.084000", "libukbus", "Probe buses...", caller="{r:0x1027e9,f:0x1} ")),
        BOOT[10],
    )
    timeline.finish()
    assert [c.name for c in timeline.calls()] == [None, None, None, None]
    timeline.symbols = SYMBOLS
    param, pci, bus, rootfs = timeline.calls()
    # a line printed from inside the function itself tells its library
    assert (bus.name, bus.library, bus.library_from) == ("uk_bus_init_all", "libukbus", "caller")
    # a line printed from another function (the bus registry) tells nothing about the constructor
    assert (param.name, param.library, param.library_from) == ("uk_libparam_report", None, None)
    # 0.16+ registration constructors carry their library's name, and the console printed it
    assert (pci.name, pci.library, pci.library_from) == ("libukbus_pci_uk_bus_register", "libukbus_pci", "symbol")
    assert (rootfs.name, rootfs.library) == ("vfscore_rootfs", None)


def test_an_address_inside_a_function_keeps_its_offset() -> None:
    call = named(Call("init_table", "init", 0x1027C0), SYMBOLS)
    assert call.name == "uk_bus_init_all+0x10"
    assert named(Call("init_table", "init", 0x9000), SYMBOLS).name is None


def test_longest_first_puts_untimed_calls_last() -> None:
    calls = [
        Call("constructors", "constructor", 1),
        Call("init_table", "init", 2, guest_start=0.1, guest_end=0.2),
        Call("init_table", "init", 3, guest_start=0.2, guest_end=0.5),
    ]
    assert [c.address for c in sort_calls(calls, longest_first=True)] == [3, 2, 1]
    assert sort_calls(calls, longest_first=False) == calls


def test_real_v0_5_log_addresses_only_without_an_elf() -> None:
    calls = trace_log(log("001")).calls()
    assert [(c.phase, c.label, c.clock) for c in calls] == [
        ("constructors", "0x1082f0", None),
        ("constructors", "0x108a80", None),
        ("init_table", "0x1110a0", "guest"),
    ]
    # the bus handlers' init function probes the buses until the banner (no stamp: the last one)
    assert (calls[2].start, calls[2].end) == (0.102102, 0.111645)
    assert all(c.name is None and c.library is None for c in calls)


def test_real_v0_12_log_nine_constructors_the_last_ended_by_the_log() -> None:
    timeline = trace_log(log("026"))
    calls = timeline.calls()
    assert len(calls) == 9 and {c.kind for c in calls} == {"constructor"}
    assert calls[0].label == "0x19a770" and calls[-1].label == "0x111670"
    assert all(c.guest_end == 0.0 and c.duration is None for c in calls)


def test_real_v0_10_log_caller_addresses_are_kept_as_evidence() -> None:
    (call,) = trace_log(log("040")).calls()
    assert (call.label, call.library) == ("0x13acf0", None)  # no ELF: the caller cannot be placed
    assert call.printed[0] == (0x13AD51, "libvfscore")
    rootfs = named(call, Symbols([(0x13ACF0, 0x100, "vfscore_rootfs")]))
    assert (rootfs.name, rootfs.library, rootfs.library_from) == ("vfscore_rootfs", "libvfscore", "caller")


def test_json_carries_every_call() -> None:
    timeline = booted(*BOOT)
    timeline.symbols = SYMBOLS
    calls = timeline_dict(timeline)["calls"]
    assert len(calls) == 7
    assert calls[2] == {
        "phase": "init_table",
        "kind": "init",
        "address": "0x1027b0",
        "name": "uk_bus_init_all",
        "library": None,
        "library_from": None,
        "start": 0.082,
        "end": 0.09,
        "clock": "guest",
        "guest": {"start": 0.082, "end": 0.09},
        "host": {"start": 0.092, "end": 0.099},
    }
    assert calls[0]["clock"] == "host" and calls[0]["start"] == 0.011
