"""What a recording's JSON files may hold, field by field: a field of the wrong type or out of
range is dropped with one line saying so (`guest-3: guest.json: spawn_ns is not a time in ns`)
and the rest is replayed; fields the tables do not name are not read. The tables come from the
files' types (`model.shapes.recording`), where each field is declared with its check.
"""

from __future__ import annotations

from typing import Any

from ..model.shapes.checks import LAST_EPOCH, MAX_ITEMS, Check, clean
from ..model.shapes.recording import GUEST, HOST, HOST_TIMES, OPTIONS, SESSION

__all__ = ["GUEST", "HOST", "HOST_TIMES", "LAST_EPOCH", "OPTIONS", "SESSION", "Check", "clean_guest", "clean_session"]


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
