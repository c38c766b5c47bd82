"""The engine's side of the home screen: the launch form's command line, the kernels nearby, and
a recording read through for its row."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.tui.conftest import RECORDINGS
from uktrace.analysis.overview import digest
from uktrace.analysis.samples import load
from uktrace.analysis.stats import distribution
from uktrace.cli.main import build_parser
from uktrace.cli.run import options_from
from uktrace.kernel.find import TEST_GUEST
from uktrace.kernel.nearby import nearby_kernels
from uktrace.launch.options import LaunchError
from uktrace.recording import kernels
from uktrace.recording.inventory import read_recording
from uktrace.tui.launch_line import LaunchChoice, field_problem, parse_launch, shell_line

needs_guest = pytest.mark.skipif(not TEST_GUEST.is_file(), reason="needs the built test guest (make guest)")


def test_the_form_defaults_are_left_out_of_the_command_line() -> None:
    assert LaunchChoice().argv() == ["run"]
    choice = LaunchChoice(
        guests="4", jobs="2", fs="share dir", fs_mode="independent", append="uktrace.era=0.17", ready="Listening on"
    )
    argv = choice.argv()
    assert shell_line(argv) == (
        "uktrace run -n 4 -j 2 --fs 'share dir' --fs-mode independent --append uktrace.era=0.17 --ready 'Listening on'"
    )
    options = options_from(parse_launch(argv, build_parser()))  # what `uktrace run` would boot
    assert (options.count, options.jobs, options.fs, options.fs_mode) == (4, 2, Path("share dir"), "independent")
    assert options.append == "uktrace.era=0.17" and options.ready == "Listening on"


def test_a_bench_takes_a_concurrency_list_and_writes_where_told() -> None:
    argv = LaunchChoice(mode="bench", guests="1,4", out="/tmp/b", more="--repeat 1 --no-warmup").argv()
    assert argv == ["bench", "--concurrency", "1,4", "--out", "/tmp/b", "--repeat", "1", "--no-warmup"]
    args = parse_launch(argv, build_parser())
    assert (args.command, args.concurrency, args.repeat, args.no_warmup) == ("bench", "1,4", 1, True)


def test_other_options_pass_through_and_extra_qemu_arguments_after_two_dashes() -> None:
    args = parse_launch(LaunchChoice(more="--no-gate -- -smp 2").argv(), build_parser())
    assert args.no_gate and args.extra == ("-smp", "2")


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (LaunchChoice(guests="two"), "argument -n/--count: invalid int value: 'two'"),
        (LaunchChoice(accel="xen"), "argument --accel: invalid choice: 'xen'"),
        (LaunchChoice(more="--no-such-option"), "unrecognized arguments: --no-such-option"),
    ],
)
def test_a_mistake_is_one_line_not_an_exit(choice: LaunchChoice, message: str) -> None:
    with pytest.raises(LaunchError) as error:
        parse_launch(choice.argv(), build_parser())
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("field", "text", "mode", "problem"),
    [
        ("guests", "two", "run", "-n two: not a whole number"),
        ("guests", "0", "run", "-n must be at least 1"),
        ("guests", "1,4", "run", "-n 1,4: not a whole number"),
        ("guests", "1,4", "bench", None),
        ("guests", "1,x", "bench", "--concurrency 1,x: a comma-separated list of guest counts (e.g. 1,10,50,100)"),
        ("guests", "", "bench", "--concurrency : every count must be at least 1"),
        ("jobs", "", "run", None),
        ("jobs", "-2", "run", "-j must be at least 1"),
        ("timeout", "0", "run", "--timeout 0: must be a positive number of seconds"),
        ("timeout", "2.5", "run", None),
        ("memory", "6x", "run", "--mem 6x: not a size (examples: 64M, 1G)"),
        ("memory", "1G", "run", None),
        (
            "ready",
            "(",
            "run",
            "--ready '(': not a regular expression (missing ), unterminated subpattern at position 0)",
        ),
        ("kernel", "no/such/kernel", "run", "no/such/kernel: no such kernel file or kraft project directory"),
        ("fs", "no/such/share", "run", "--fs no/such/share: no such directory"),
        ("fs", "tests", "run", None),
        ("more", "--append 'oops", "run", "other options: No closing quotation"),
        ("append", "anything at all", "run", None),
    ],
)
def test_each_field_is_checked_as_the_command_line_would_check_it(
    field: str, text: str, mode: str, problem: str | None
) -> None:
    assert field_problem(field, text, mode) == problem


def test_an_unclosed_quote_in_other_options_is_said() -> None:
    with pytest.raises(LaunchError, match="other options: No closing quotation"):
        LaunchChoice(more="--append 'oops").argv()


@needs_guest
def test_kernels_nearby_kraft_projects_images_and_the_test_guest(tmp_path: Path) -> None:
    build = tmp_path / "app" / ".unikraft" / "build"
    build.mkdir(parents=True)
    shutil.copy(TEST_GUEST, build / "app_qemu-x86_64")
    shutil.copy(TEST_GUEST, tmp_path / "kernel.elf")
    (tmp_path / "notes.txt").write_text("Unikraft\n")
    objects = tmp_path / "build"
    objects.mkdir()
    multiboot_object = next(TEST_GUEST.parent.glob("multiboot.o"), None)
    if multiboot_object is not None:  # carries the header, is not an executable: not offered
        shutil.copy(multiboot_object, objects / "multiboot.o")
    found = nearby_kernels(tmp_path)
    assert [(k.argument, k.kind) for k in found] == [
        ("./app", "kraft project"),
        ("./kernel.elf", "image"),
        (None, "test guest"),
    ]
    assert found[0].path == build / "app_qemu-x86_64"


def with_libinfo(image: Path, records: list[tuple[int, bytes]]) -> None:
    """`image` (a copy of the test guest) given a `.uk_libinfo` section holding Unikraft's own
    header with `records` (u16 type, u32 length, data), as lib/uklibid lays it out."""
    body = b"".join(struct.pack("<HI", kind, 6 + len(data)) + data for kind, data in records)
    section = image.with_suffix(".libinfo")
    section.write_bytes(struct.pack("<IH", 6 + len(body), 1) + body)
    subprocess.run(["objcopy", "--add-section", f".uk_libinfo={section}", str(image)], check=True)


@needs_guest
@pytest.mark.skipif(shutil.which("objcopy") is None, reason="needs objcopy (binutils)")
@pytest.mark.parametrize(
    ("records", "release"),
    [
        ([(0x0007, b"0.17.0~5cc9ac1\0")], "0.17.0"),  # the version alone: no empty parentheses
        ([(0x0007, b"0.17.0~5cc9ac1\0"), (0x0008, b"Calypso\0")], "0.17.0 (Calypso)"),
    ],
)
def test_a_kernel_nearby_is_labelled_with_what_its_image_names(
    tmp_path: Path, records: list[tuple[int, bytes]], release: str
) -> None:
    build = tmp_path / "app" / ".unikraft" / "build"
    build.mkdir(parents=True)
    shutil.copy(TEST_GUEST, build / "app_qemu-x86_64")
    with_libinfo(build / "app_qemu-x86_64", records)
    (found, _test_guest) = nearby_kernels(tmp_path)
    assert (found.argument, found.kind, found.unikraft) == ("./app", "kraft project", release)


@pytest.mark.parametrize("name", ["shared-8", "crash-3"])
def test_a_recording_read_through_gives_compares_samples_and_its_total(name: str) -> None:
    recording = read_recording(RECORDINGS / name)
    result = digest(recording)
    assert result.problem is None and result.samples is not None
    samples = load(RECORDINGS / name)  # what `uktrace compare` reads
    assert result.samples.cells["run"].values == samples.cells["run"].values
    assert result.unikraft == "0.10.0 (Testguest)"  # the test guest's banner: Unikraft 0.10 log format
    totals = result.samples.cells["run"].values.get("total")
    if totals:  # every guest exited: compare counts their totals
        expected = distribution(totals)
        assert expected is not None and result.total_p50 == pytest.approx(expected.p50, abs=1e-6)


def test_a_recording_is_read_through_without_reading_its_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row shows figures, never a crash's location: the digest reads no symbol table, so a
    recording that holds none does not have the kernel file at its recorded path hashed and read."""
    copy = tmp_path / "crash-3"
    shutil.copytree(RECORDINGS / "crash-3", copy)
    kernel = tmp_path / "kernel.elf"
    kernel.write_bytes(b"\x7fELF" + bytes(1 << 20))
    for meta_path in copy.glob("guest-*/guest.json"):
        meta = json.loads(meta_path.read_text())
        meta["kernel"], meta["kernel_image"]["symbols"] = str(kernel), None
        meta["kernel_image"]["size"] = kernel.stat().st_size  # a kernel of another size is never read
        meta_path.write_text(json.dumps(meta))
    read: list[Path] = []
    real = kernels.identify
    monkeypatch.setattr(kernels, "identify", lambda path: read.append(path) or real(path))
    with_symbols = load(copy)  # compare names crashes: it does read the kernel (once per run)
    assert read == [kernel]
    read.clear()
    result = digest(read_recording(copy))
    assert read == []
    assert result.problem is None and result.samples is not None
    assert result.samples.cells == with_symbols.cells  # the same figures


def test_a_recording_without_its_guests_becomes_a_problem_not_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(RECORDINGS / "crash-3", broken)
    for guest in broken.glob("guest-*"):
        shutil.rmtree(guest)
    result = digest(read_recording(broken))  # listed still (its session.json), read through: nothing
    assert result.samples is None and result.total_p50 is None
    assert result.problem == f"{broken}: the recording holds no guest"
