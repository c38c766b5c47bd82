"""A scripted console conversation (`--expect REGEX --send TEXT`, or `--script FILE`) as plain data:
the steps asked for, and what became of each while a guest ran.

A step waits (at most its timeout) for console output that its regex finds, then types its text
followed by Enter (`\\r`, the key a person presses); a step without a regex types at once, one
without text only waits. Steps run in order, each timed from the end of the one before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .regex import RegexError, compile_regex

if TYPE_CHECKING:
    from .shapes import recording as shape

STEP_TIMEOUT_S = 30.0
"""A step's default wait: as long as a hundred test guests take to boot on 2 cores, with room."""


class ScriptError(ValueError):
    """A script that cannot run; the message is for the user, one line."""


@dataclass(frozen=True, slots=True)
class Step:
    """One exchange of a conversation with a guest's console."""

    expect: str | None
    """A regular expression to wait for (Python's `re`, searched in the decoded console); None: none."""
    send: str | None
    """Typed once `expect` matched, then Enter; None: nothing."""
    timeout: float = STEP_TIMEOUT_S
    """Seconds `expect` may take; past them the guest fails, the step named."""

    def describe(self) -> str:
        """`expect 'Listening' → send 'quit'`, for tables and reasons."""
        parts = []
        if self.expect is not None:
            parts.append(f"expect {self.expect!r}")
        if self.send is not None:
            parts.append(f"send {self.send!r}")
        return " → ".join(parts)


@dataclass(slots=True)
class StepRun:
    """What a step did in one guest: host monotonic ns (None until it happened) and its outcome."""

    step: Step
    started_ns: int | None = None
    """When the step began to wait (the previous step's end, or the guest's spawn)."""
    ended_ns: int | None = None
    """When its regex matched (or it timed out, or the console ended)."""
    outcome: str = "pending"
    """`pending`, `waiting`, `matched` (`matched, sent` once it typed), `sent` (no regex), `timeout`,
    `ended` (the console ended first), `stopped` (the guest was ended while it waited)."""
    matched: str | None = None
    """The text the regex matched."""

    @property
    def wait_s(self) -> float | None:
        if self.started_ns is None or self.ended_ns is None:
            return None
        return (self.ended_ns - self.started_ns) / 1e9

    def as_dict(self, spawn_ns: int | None) -> shape.Step:
        """The JSON shape: host seconds since the guest's spawn, and the wait."""

        def since(ns: int | None) -> float | None:
            return None if ns is None or spawn_ns is None else round((ns - spawn_ns) / 1e9, 6)

        wait = self.wait_s
        return {
            "expect": self.step.expect,
            "send": self.step.send,
            "timeout": self.step.timeout,
            "outcome": self.outcome,
            "matched": self.matched,
            "start": since(self.started_ns),
            "end": since(self.ended_ns),
            "wait": None if wait is None else round(wait, 6),
            "clock": "host",
        }


def recorded_runs(entries: object, spawn_ns: int | None) -> list[StepRun]:
    """The steps a recording kept (`guest.json`'s `script`, `StepRun.as_dict`) back as runs, for a
    replay; what is malformed is left out."""
    runs = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        timeout = entry.get("timeout")
        step = Step(
            entry.get("expect") if isinstance(entry.get("expect"), str) else None,
            entry.get("send") if isinstance(entry.get("send"), str) else None,
            float(timeout) if isinstance(timeout, int | float) else STEP_TIMEOUT_S,
        )

        def ns(seconds: object) -> int | None:
            if spawn_ns is None or not isinstance(seconds, int | float):
                return None
            return spawn_ns + round(seconds * 1e9)

        matched = entry.get("matched")
        runs.append(
            StepRun(
                step,
                ns(entry.get("start")),
                ns(entry.get("end")),
                str(entry.get("outcome", "pending")),
                matched if isinstance(matched, str) else None,
            )
        )
    return runs


def steps_from_options(ordered: Iterable[tuple[str, str]], timeout: float = STEP_TIMEOUT_S) -> tuple[Step, ...]:
    """`--expect`/`--send` in the order given: each `--expect` opens a step, a `--send` after it
    completes that step; a `--send` with no `--expect` before it is a step of its own (typed when the
    previous step ends, or at once)."""
    steps: list[Step] = []
    for command, value in ordered:
        _add(steps, command, value, timeout, "--expect")
    return tuple(steps)


def _add(steps: list[Step], command: str, value: str, timeout: float, label: str = "expect") -> None:
    if command == "expect":
        steps.append(Step(check_regex(value, label), None, timeout))
    elif steps and steps[-1].send is None:
        steps[-1] = Step(steps[-1].expect, value, steps[-1].timeout)
    else:
        steps.append(Step(None, value, timeout))


def parse_script(text: str, source: str = "script", timeout: float = STEP_TIMEOUT_S) -> tuple[Step, ...]:
    """A script file: one command a line, `expect REGEX`, `send TEXT` (the rest of the line, spaces
    kept), `timeout SECONDS` (for the steps after it); blank lines and `#` comments are skipped.
    Raises ScriptError naming the file and line."""
    steps: list[Step] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        command, _, argument = stripped.partition(" ")
        where = f"{source}:{number}"
        if command == "timeout":
            try:
                timeout = float(argument)
            except ValueError:
                raise ScriptError(f"{where}: timeout {argument.strip()!r}: not a number of seconds") from None
            if not (timeout > 0 and timeout != float("inf")):
                raise ScriptError(f"{where}: timeout must be a positive number of seconds")
        elif command == "expect" and argument.strip():
            try:
                _add(steps, command, argument.strip(), timeout)
            except ScriptError as error:
                raise ScriptError(f"{where}: {error}") from None
        elif command == "send":
            _add(steps, command, line.lstrip()[len("send ") :], timeout)
        else:
            raise ScriptError(f"{where}: {stripped[:40]!r}: expected `expect REGEX`, `send TEXT`, `timeout S` or #")
    if not steps:
        raise ScriptError(f"{source}: no expect or send line")
    return tuple(steps)


def check_regex(pattern: str, option: str) -> str:
    """`pattern` when RE2 compiles it (`model.regex`: matching cannot hang); else one line."""
    try:
        compile_regex(pattern, option, dot_all=True)
    except RegexError as error:
        raise ScriptError(str(error)) from None
    return pattern
