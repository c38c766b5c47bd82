"""The shape of one guest's timeline in JSON (`uktrace parse --json`, and the start of each guest
of `run --json`): its phases and calls in both clocks, its crash, its ready line, its guest clock.
Times are seconds; a `clock` says which clock a figure is on (`host`, `guest`, `guest (corrected)`).
"""

from typing import Annotated, Any, TypedDict

from .checks import COUNT, INT32, MAX_ITEMS, SECONDS, TEXT, Bad, flag, number, optional, rows, text
from .derive import checked

Seconds = Annotated[float | None, SECONDS]
Text = Annotated[str | None, TEXT]


class Edges(TypedDict):
    """A start and an end on one clock (seconds), each null where that clock did not see it."""

    start: Seconds
    end: Seconds


EDGES = checked(Edges, "a start and an end", ("start", "end"))


class Phase(TypedDict):
    """A boot phase: `start`/`end` on its own `clock`, both clocks beside; `parent` the phase it
    runs inside (null at the top level); `bound`: `end` is a lower bound (an unstamped line)."""

    name: Annotated[str, text]
    parent: Text
    start: Seconds
    end: Seconds
    bound: Annotated[bool, optional(flag)]
    clock: Text
    guest: Annotated[Edges, EDGES]
    host: Annotated[Edges, EDGES]


PHASE = checked(Phase, "a phase", ("name", "start", "end", "clock", "guest", "host"))  # older JSON: no parent, bound


class Call(TypedDict):
    """A constructor or init function the kernel ran, timed as a phase is; `clock` null (and the
    times with it) when neither clock timed it."""

    phase: Text
    kind: Text
    address: Text
    name: Text
    library: Text
    library_from: Text
    start: Seconds
    end: Seconds
    clock: Text
    guest: Annotated[Edges, EDGES]
    host: Annotated[Edges, EDGES]


CALL = checked(Call, "a call")


class Unikraft(TypedDict):
    """The Unikraft release the banner (or the image) names."""

    version: Text
    codename: Text
    sha: Text


UNIKRAFT = checked(Unikraft, "a Unikraft release")


class Crash(TypedDict):
    """Why a guest crashed, failed, stopped or timed out."""

    reason: Annotated[str, text]
    line: Annotated[str, text]
    where: Text


CRASH = checked(Crash, "a crash (reason, line, where)")


class Ready(TypedDict):
    """`--ready REGEX`: the pattern, the line that matched, why there is none (`not ready: ...`)."""

    regex: Text
    line: Text
    not_ready: Text


READY = checked(Ready, "a ready line")

Interval = Annotated[list[float] | None, optional(rows(number(-1e9, 1e9), "numbers"))]


class Fit(TypedDict):
    """The guest clock's rate fitted against the host's over the boot."""

    rate: Seconds
    ci: Interval
    points: Annotated[int | None, optional(COUNT)]
    host_span_s: Seconds


class GuestClock(TypedDict):
    """How fast the guest's clock ran against the host's, and whether its figures are corrected."""

    rate: Seconds
    ci: Interval
    source: Text
    skewed: Annotated[bool | None, optional(flag)]
    corrected: Annotated[bool, optional(flag)]
    tsc_estimate_hz: Annotated[int | None, optional(COUNT)]
    fit: Annotated[Fit | None, optional(checked(Fit, "a fit"))]
    reference_hz: Annotated[int | None, optional(COUNT)]


GUEST_CLOCK = checked(GuestClock, "a guest clock")


def _clocks(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        raise Bad("is not an object of clocks")
    return {text(key): text(clock) for key, clock in value.items()}


class TimesRequired(TypedDict):
    """The guest's figures (seconds) and, in `clocks`, the clock each was taken on."""

    boot: Seconds
    mount: Seconds
    main: Seconds
    ready: Seconds
    total: Seconds
    clocks: Annotated[dict[str, str], optional(_clocks)]


class Times(TimesRequired, total=False):
    """The figures, and `halt_wait` only for a VMM that stayed after its guest halted: how long
    uktrace waited before ending it, which `total` leaves out."""

    halt_wait: Seconds


TIMES = checked(Times, "the figures")


class TimelineGuest(TypedDict):
    """One guest's timeline: what its console said."""

    name: Text
    source: Text
    unikraft: Annotated[Unikraft | None, optional(UNIKRAFT)]
    status: Text
    exit_code: Annotated[int | None, optional(INT32)]
    crash: Annotated[Crash | None, optional(CRASH)]
    phases: Annotated[list[Phase], optional(rows(PHASE, "phases"))]
    calls: Annotated[list[Call], optional(rows(CALL, "calls"))]
    lines: Annotated[int, optional(COUNT)]
    unrecognised: Annotated[int, optional(COUNT)]
    ready: Annotated[Ready | None, optional(READY)]
    guest_clock: Annotated[GuestClock, optional(GUEST_CLOCK)]


class ParseGuest(TimelineGuest):
    """A saved console's guest: its timeline and its figures."""

    times: Annotated[Times, optional(TIMES)]


class ParseOutput(TypedDict):
    """`uktrace parse --json`: one guest per console log, in the order given."""

    format: int
    guests: list[ParseGuest]
