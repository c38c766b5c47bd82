"""Console scripts: the steps from options and files, and pexpect's matcher fed the tracer's bytes."""

from __future__ import annotations

import anyio
import pytest

from uktrace.launch.script import WINDOW, ConsoleScript
from uktrace.model.script import ScriptError, Step, StepRun, parse_script, steps_from_options

pytestmark = pytest.mark.anyio


def test_options_pair_each_send_with_the_expect_before_it() -> None:
    ordered = [("expect", "Listening"), ("send", "hello"), ("expect", "echo"), ("expect", "x"), ("send", "quit")]
    assert steps_from_options(ordered, 5) == (
        Step("Listening", "hello", 5),
        Step("echo", None, 5),
        Step("x", "quit", 5),
    )
    # a send with no expect before it is typed as soon as the step before it ends (or at once)
    assert steps_from_options([("send", "a"), ("send", "b")]) == (Step(None, "a"), Step(None, "b"))


def test_a_bad_regex_is_one_clear_error() -> None:
    with pytest.raises(ScriptError, match=r"^--expect '\(': not a regular expression"):
        steps_from_options([("expect", "(")])


def test_a_script_file_keeps_order_timeouts_and_the_spaces_of_what_it_sends() -> None:
    text = "# wait for the server\nexpect Listening on port \\d+\n\nsend   two  spaces\ntimeout 2.5\nexpect Bye\n"
    assert parse_script(text, "conv") == (
        Step(r"Listening on port \d+", "  two  spaces", 30.0),
        Step("Bye", None, 2.5),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("expect a\nbogus line\n", "conv:2: 'bogus line': expected `expect REGEX`, `send TEXT`, `timeout S` or #"),
        ("timeout soon\n", "conv:1: timeout 'soon': not a number of seconds"),
        ("timeout -1\n", "conv:1: timeout must be a positive number of seconds"),
        ("expect [\n", "conv:1: expect '[': not a regular expression (unterminated character set at position 0)"),
        ("# nothing\n", "conv: no expect or send line"),
    ],
)
def test_a_bad_script_names_its_line(text: str, message: str) -> None:
    with pytest.raises(ScriptError) as raised:
        parse_script(text, "conv")
    assert str(raised.value) == message


def test_describe_names_both_halves() -> None:
    assert Step("Listening", "quit").describe() == "expect 'Listening' → send 'quit'"
    assert Step(None, "quit").describe() == "send 'quit'"


async def run_script(steps: list[Step], chunks: list[bytes]) -> tuple[list[StepRun], list[bytes], list[int]]:
    """Run `steps` while feeding `chunks` one event-loop turn apart; what was typed, which step timed out."""
    runs: list[StepRun] = []
    typed: list[bytes] = []
    timeouts: list[int] = []
    script = ConsoleScript(steps, typed.append, runs)
    async with anyio.create_task_group() as group:
        group.start_soon(script.run, lambda number, _run: timeouts.append(number))
        for index, chunk in enumerate(chunks):
            await anyio.sleep(0.01)
            script.feed(chunk, index)
        await anyio.sleep(0.01)
        script.ended()
    return runs, typed, timeouts


async def test_a_match_split_across_chunks_and_utf8_split_inside_a_character() -> None:
    euro = "€".encode()
    chunks = [b"boot...\nListe", b"ning on port 80", b"80\nname: caf", euro[:1], euro[1:] + b"!\n"]
    steps = [Step(r"Listening on port \d+\n", "hello"), Step("caf€!", "quit")]
    runs, typed, timeouts = await run_script(steps, chunks)
    assert typed == [b"hello\r", b"quit\r"]
    assert [run.outcome for run in runs] == ["matched, sent", "matched, sent"]
    assert runs[0].matched == "Listening on port 8080\n" and runs[1].matched == "caf€!"
    assert runs[0].ended_ns == 2  # stamped when the chunk that completed it was read
    assert timeouts == []


async def test_output_printed_before_a_step_begins_is_still_found() -> None:
    runs: list[StepRun] = []
    script = ConsoleScript([Step("Listening", None)], lambda data: None, runs)
    script.feed(b"Listening on port 8080\n", 7)  # before `run` started the step
    with anyio.fail_after(5):
        await script.run(lambda number, run: None)
    assert runs[0].outcome == "matched" and runs[0].matched == "Listening"


async def test_a_match_deep_inside_a_flood_is_found() -> None:
    flood = b"x" * (WINDOW * 5) + b" READY " + b"y" * (WINDOW * 5)
    runs, _, _ = await run_script([Step("READY", None), Step("y{10}$", None)], [flood])
    assert [run.outcome for run in runs] == ["matched", "matched"]


async def test_between_steps_only_the_last_window_is_kept() -> None:
    runs: list[StepRun] = []
    script = ConsoleScript([Step("tail", None)], lambda data: None, runs)
    for _ in range(50):  # a flood while no step waits
        script.feed(b"z" * WINDOW, 0)
    script.feed(b"tail\n", 1)
    assert script.spawn._buffer.tell() <= 2 * WINDOW and script.spawn._before.tell() <= 2 * WINDOW
    with anyio.fail_after(5):
        await script.run(lambda number, run: None)
    assert runs[0].outcome == "matched"


async def test_a_step_that_never_matches_times_out_and_the_script_stops() -> None:
    runs, typed, timeouts = await run_script([Step("never", "quit", timeout=0.05), Step(None, "after")], [b"hi\n"] * 10)
    assert timeouts == [1] and typed == []
    assert [run.outcome for run in runs] == ["timeout", "pending"]
    assert runs[0].wait_s is not None and runs[0].wait_s >= 0.05


async def test_a_console_that_ends_first_is_not_a_timeout() -> None:
    runs, _, timeouts = await run_script([Step("never", None, timeout=30)], [b"bye\n"])
    assert [run.outcome for run in runs] == ["ended"] and timeouts == []


async def test_a_step_that_begins_after_the_console_ended_ends_at_once() -> None:
    runs: list[StepRun] = []
    typed: list[bytes] = []
    script = ConsoleScript([Step("first", "go"), Step("second", None, timeout=30)], typed.append, runs)
    script.feed(b"first\n", 1)
    script.ended()
    with anyio.fail_after(5):  # not the second step's 30 s
        await script.run(lambda number, run: None)
    assert [run.outcome for run in runs] == ["matched, sent", "ended"] and typed == [b"go\r"]
