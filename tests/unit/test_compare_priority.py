"""compare says when its inputs ran their guests at different priorities against uktrace."""

from __future__ import annotations

from typing import Any

from uktrace.analysis.samples import Samples, from_document, guest_priority
from uktrace.present.comparison import priority_note


def run_json(host: dict[str, Any] | None) -> dict[str, Any]:
    guest: dict[str, Any] = {"name": "guest-1", "status": "exited", "phases": [], "times": {"total": 0.1}}
    if host is not None:
        guest["host"] = host
    return {"summary": {}, "guests": [guest]}


def test_each_way_a_guest_ran_is_named_from_its_host_record() -> None:
    assert guest_priority({"host": {"nice": 19, "idle_policy": True}}) == "idle policy, nice 19"
    assert guest_priority({"host": {"nice": None, "idle_policy": False, "apart": True}}) == (
        "normal priority, a session apart"
    )
    assert guest_priority({"host": {"nice": None, "idle_policy": False}}) == "uktrace's priority, in its session"
    assert guest_priority({"host": {"nice": 19, "idle_policy": False}}) == "nice 19"  # the policy refused
    assert guest_priority({"host": {"nice": 18}}) == "nice 18, a session group each"  # recorded before
    assert guest_priority({"host": {}}) is None and guest_priority({"name": "from a log"}) is None


def test_the_note_only_when_the_inputs_differ() -> None:
    low = from_document(run_json({"nice": 19, "idle_policy": True}), "low.json")
    normal = from_document(run_json({"nice": None, "idle_policy": False, "apart": True}), "normal.json")
    unknown = from_document(run_json(None), "parse.json")
    assert isinstance(low, Samples) and low.priorities == {"idle policy, nice 19"}
    note = priority_note([normal, low])
    assert note is not None and "A: normal priority, a session apart; B: idle policy, nice 19" in note
    assert priority_note([low, low]) is None
    assert priority_note([unknown, low]) is None  # an input that does not say is not a difference
