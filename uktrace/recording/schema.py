"""What a recording's JSON files may hold, field by field, as tables: a field of the wrong type
or out of range is dropped with one line saying so (`guest-3: guest.json: spawn_ns is not a
time in ns`) and the rest is replayed; fields no table names are not read. Strings are kept
with their control characters escaped (`model.text.shown`): whatever shows them, shows them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from ..model.regex import RegexError, compile_regex
from ..model.text import shown
from ..model.timeline import Status

Check = Callable[[Any], Any]
"""A field's value, cleaned, or `Bad` raised with what it is not."""

MAX_NS = 1 << 62
"""Host times are monotonic nanoseconds since the host's boot: 146 years."""
MAX_TEXT = 1 << 16
"""Characters kept of one string field (a command line argument, a path, a crash line)."""
MAX_ITEMS = 1 << 16
"""Items kept of one list (argv, cpu_marks, script steps; guests of a run)."""
LAST_EPOCH = 253402300799.0
"""9999-12-31: the last instant a date can show."""


class Bad(ValueError):
    """A value of the wrong shape; the message says what it is not (`is not a time in ns`), after
    the path to it inside the field (`[0]: host is not ...`)."""


def at(key: str, bad: Bad) -> str:
    """`bad`'s message after `key`: `spawn_ns is not ...`, `phases[0]: host is not ...`."""
    message = str(bad)
    if message.startswith("["):
        return f"{key}{message}"
    return f"{key} {message}" if message.startswith("is ") else f"{key}: {message}"


def optional(check: Check) -> Check:
    """`check`, or null."""

    def check_or_null(value: Any) -> Any:
        return None if value is None else check(value)

    return check_or_null


def integer(low: int, high: int, what: str = "an integer") -> Check:
    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise Bad(f"is not {what}")
        if not low <= value <= high:
            raise Bad(f"is out of range ({value}, not {low}..{high})")
        return value

    return check


def number(low: float, high: float) -> Check:
    def check(value: Any) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise Bad("is not a number")
        if not low <= value <= high:
            raise Bad(f"is out of range ({value:g}, not {low:g}..{high:g})")
        return value

    return check


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise Bad("is not a string")
    if len(value) > MAX_TEXT:
        raise Bad(f"is {len(value):,} characters long (at most {MAX_TEXT:,})")
    return shown(value)


def pattern(value: Any) -> str:
    """A regex, kept as it is (escaping would change what it matches) when RE2 compiles it."""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise Bad("is not a string")
    try:
        compile_regex(value)
    except RegexError as error:
        raise Bad(f"is not a regular expression uktrace runs ({shown(str(error))[:200]})") from None
    return value


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Bad("is not true or false")
    return value


def texts(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise Bad("is not a list of strings")
    return [text(item) for item in value]


def text_map(value: Any) -> dict[str, str]:
    """An object of strings (a bench cell's `config`: axis name to value)."""
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        raise Bad("is not an object of strings")
    return {text(key): text(item) for key, item in value.items()}


def status(value: Any) -> str:
    if not isinstance(value, str) or value not in {s.value for s in Status}:
        raise Bad(f"is not a status ({shown(str(value)[:40])!r})")
    return str(value)


def sha256(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise Bad("is not a sha256 in hex")
    return value


def table(fields: Mapping[str, Check], name: str = "an object", required: tuple[str, ...] = ()) -> Check:
    """An object whose listed fields are checked (`required` ones must be there); a bad field is
    `Bad` for the whole (nested objects are all or nothing: their parts mean something together)."""

    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Bad(f"is not {name}")
        missing = [key for key in required if key not in value]
        if missing:
            raise Bad(f"is not {name} (no {missing[0]})")
        cleaned = {}
        for key in [key for key in value if key in fields]:  # in the document's order
            try:
                cleaned[key] = fields[key](value[key])
            except Bad as bad:
                raise Bad(at(key, bad)) from None
        return cleaned

    return check


def rows(check: Check, what: str) -> Check:
    def each(value: Any) -> list[Any]:
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            raise Bad(f"is not a list of {what}")
        result = []
        for index, item in enumerate(value):
            try:
                result.append(check(item))
            except Bad as bad:
                raise Bad(at(f"[{index}]", bad)) from None
        return result

    return each


def cpu_mark(value: Any) -> list[Any]:
    if not isinstance(value, list) or len(value) != 4:
        raise Bad("is not [phase, ns, cpu ns, wait ns]")
    phase, at, cpu, wait = value
    return [text(phase), NS(at), NS(cpu), optional(NS)(wait)]


NS = integer(0, MAX_NS, "a time in ns")
COUNT = integer(0, MAX_NS, "a count")
INT32 = integer(-(1 << 31), (1 << 31) - 1)
TEXT = optional(text)
SECONDS = optional(number(-1e9, 1e9))

UNIKRAFT = table({"version": TEXT, "codename": TEXT, "sha": TEXT}, "a Unikraft release")
KERNEL_IMAGE = table({"sha256": sha256, "size": COUNT, "unikraft": optional(UNIKRAFT), "symbols": TEXT})
CRASH = table({"reason": text, "line": text, "where": TEXT}, "a crash (reason, line, where)")
STEP = table(
    {
        "expect": optional(pattern),
        "send": TEXT,
        "timeout": SECONDS,
        "outcome": TEXT,
        "matched": TEXT,
        "start": SECONDS,
        "end": SECONDS,
        "wait": SECONDS,
        "clock": TEXT,
    },
    "a script step",
)
STREAM = table(
    {"node": TEXT, "events": optional(COUNT), "lost_events": optional(COUNT), "lost": TEXT},
    "a stream's account",
)

HOST_TIMES = ("spawn_ns", "ready_ns", "release_ns", "firmware_ns", "first_byte_ns", "exit_ns")
HOST: dict[str, Check] = {key: optional(NS) for key in HOST_TIMES} | {
    "accel": TEXT,
    "wall_s": SECONDS,
    "bytes": optional(COUNT),
    "qemu_status": optional(INT32),
    "stderr_tail": TEXT,
    "integrity": TEXT,
    "lingered": optional(flag),
    "recording": TEXT,
    "cpu_marks": optional(rows(cpu_mark, "[phase, ns, cpu ns, wait ns]")),
    "cpu_total_ns": optional(COUNT),
    "nice": optional(integer(-20, 19)),
    "idle_policy": optional(flag),
    "apart": optional(flag),
    "accel_reason": TEXT,
    "node": TEXT,
    "stream": optional(STREAM),
    "stored_bytes": optional(COUNT),
    "stored_integrity": TEXT,
    "fs_type": TEXT,
    "virtiofsd_status": optional(INT32),
    "virtiofsd_start_s": SECONDS,
}
"""guest.json's `host`: checked field by field (one bad time does not lose the others)."""

GUEST: dict[str, Check] = {
    "name": TEXT,
    "argv": optional(texts),
    "kernel": TEXT,
    "kernel_image": optional(KERNEL_IMAGE),
    "fs": TEXT,
    "status": optional(status),
    "exit_code": optional(INT32),
    "crash": optional(CRASH),
    "ready": optional(pattern),
    "script": optional(rows(STEP, "script steps")),
}
"""guest.json's fields beside `host`."""

OPTIONS: dict[str, Check] = {
    "command": TEXT,
    "kernel": TEXT,
    "count": optional(integer(0, MAX_ITEMS)),
    "jobs": optional(integer(1, MAX_ITEMS)),
    "fs": TEXT,
    "fs_mode": TEXT,
    "fs_type": TEXT,
    "accel": TEXT,
    "cmd": TEXT,
    "qemu": TEXT,
    "bench_cell": optional(TEXT),
    "config": optional(text_map),
}
"""session.json's `options` that a reader uses (the others are the run's own record)."""

SESSION: dict[str, Check] = {
    "format": integer(1, 1 << 31, "a format number"),
    "uktrace": text,
    "qemu": TEXT,
    "host": table({"cpus": optional(integer(0, 1 << 20)), "kernel": TEXT}, "the host"),
    "started": number(0.0, LAST_EPOCH),
    "recorder": table({"pid": optional(integer(0, 1 << 31)), "boot_id": TEXT}, "the recorder"),
    "command": texts,
}


def clean(document: Any, fields: Mapping[str, Check], where: str, problems: list[str]) -> dict[str, Any]:
    """The fields of `document` that are sound; one line in `problems` per field that is not."""
    if not isinstance(document, dict):
        problems.append(f"{where} is not an object")
        return {}
    cleaned: dict[str, Any] = {}
    for key in [key for key in document if key in fields]:  # in the document's order
        try:
            cleaned[key] = fields[key](document[key])
        except Bad as bad:
            problems.append(f"{where}: {at(key, bad)}")
    return cleaned


def clean_guest(document: Any, where: str, problems: list[str]) -> dict[str, Any]:
    """guest.json, its sound fields (`host` field by field)."""
    meta = clean(document, GUEST | {"host": lambda value: value}, where, problems)
    if isinstance(document, dict) and "host" in document:
        meta["host"] = clean(document["host"], HOST, f"{where}: host", problems)
    return meta


def clean_session(document: Any, where: str, problems: list[str]) -> dict[str, Any]:
    """session.json, its sound fields; `guests` and `options` as the reader needs them."""
    session = clean(document, SESSION, where, problems)
    if not isinstance(document, dict):
        return session
    if "options" in document:
        session["options"] = clean(document["options"], OPTIONS, f"{where}: options", problems)
    guests = document.get("guests")
    if isinstance(guests, list) and len(guests) <= MAX_ITEMS:
        session["guests"] = guests  # each name is checked where it is opened (`files.checked_name`)
    elif "guests" in document:
        problems.append(f"{where}: guests is not a list of names")
    return session
