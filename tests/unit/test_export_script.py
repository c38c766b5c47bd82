"""The ready phase and a console script's steps in the Perfetto trace, from a real recording
(`tests/data/servers/serve-3`, see tests/tui/test_ready_view.py)."""

from __future__ import annotations

from pathlib import Path

from uktrace.export.perfetto import trace
from uktrace.export.runs import load_runs

SERVE_3 = Path(__file__).resolve().parents[1] / "data" / "servers" / "serve-3"


def test_steps_get_a_track_below_their_guest_and_ready_nests_in_main() -> None:
    (run,) = load_runs([SERVE_3])
    events = trace([run])["traceEvents"]
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["name"] == "thread_name"}
    slices = [e for e in events if e["ph"] == "X"]
    for guest in run.guests:
        name = guest["name"]
        tid = next(tid for (_, tid), thread in threads.items() if thread == name)
        script_tid = next(tid for (_, tid), thread in threads.items() if thread == f"{name} script")
        steps = [e for e in slices if e["tid"] == script_tid]
        assert [e["name"] for e in steps] == ["step 1: expect 'Listening'", "step 2: expect 'echo: hello'"]
        assert [e["args"]["outcome"] for e in steps] == ["matched, sent"] * 2
        recorded = guest["script"]
        assert [e["dur"] for e in steps] == [round((s["end"] - s["start"]) * 1e6) for s in recorded]
        own = {e["name"]: e for e in slices if e["tid"] == tid}
        main, ready = own["main"], own["ready"]
        assert main["ts"] == ready["ts"] and ready["dur"] <= main["dur"]
        assert steps[0]["ts"] + steps[0]["dur"] >= ready["ts"] + ready["dur"] - 1  # the match is the ready line's
