"""What a guest view says about `--ready` and the console script: the time to the ready line, and
each step of the conversation with its wait (Rich text, read from the engine's model)."""

from __future__ import annotations

from rich.text import Text

from uktrace.analysis.stats import clock_words
from uktrace.model.guest import Guest
from uktrace.model.timeline import BootTimeline
from uktrace.present.units import format_seconds

from ..palette import phase_colour


def ready_text(timeline: BootTimeline) -> Text | None:
    """`ready in 105.6 ms (guest clock): Listening on port 8080`, `waiting for /Listening on/`, or
    None without `--ready` (`not ready: …` is in the status)."""
    if timeline.ready is None or timeline.not_ready is not None:
        return None
    phase = timeline.phase("ready") if timeline.ready_line is not None else None
    if phase is None:
        return Text(f"not ready yet: waiting for /{timeline.ready}/", style="dim")
    return Text.assemble(
        ("■ ", phase_colour("ready")),
        (f"ready in {format_seconds(phase.duration)}", "bold"),
        (f" ({clock_words(phase.clock)}): {timeline.ready_line}", "dim"),
    )


STEP_MARKS = {"matched": "✓", "matched, sent": "✓", "sent": "✓", "waiting": "…", "pending": " ", "timeout": "✗"}


def script_lines(guest: Guest, now: int) -> list[Text]:
    """One line per console-script step: its mark, what it does, how long it waited (growing while
    it waits) and how it ended."""
    lines = []
    for number, run in enumerate(guest.script, 1):
        mark = STEP_MARKS.get(run.outcome, "✗")
        style = {"✓": "green", "…": "yellow", "✗": "bold red"}.get(mark, "dim")
        wait = run.wait_s
        if wait is None and run.started_ns is not None and run.outcome == "waiting":
            waited = f"{format_seconds((now - run.started_ns) / 1e9)}…"
        else:
            waited = format_seconds(wait) if wait is not None else ""
        lines.append(
            Text.assemble(
                ("script " if number == 1 else "       ", "dim"),
                (f"{number} {mark} ", style),
                run.step.describe(),
                (f"  {run.outcome}", style),
                (f" {waited}" if waited else "", "bold"),
            )
        )
    return lines
