"""What `bench --observer-check` found is kept per host and cell, and a later run of as many guests
here says it: the latest check of that size, its filesystem first; a damaged cache is none."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from uktrace.analysis.observer_effect import effect_sentence, unmeasured_sentence
from uktrace.launch import observer_checks
from uktrace.model.shapes.recording import OBSERVER_EFFECT

HOST = {"qemu": "QEMU emulator version 7.2.0", "accel": "tcg", "cpu": "x", "kernel": "6.1"}


def cell(n: int, fs: str, difference: float, verdict: str) -> dict[str, object]:
    metric = {
        "metric": "main",
        "clock": "guest (part corrected)",
        "verdict": verdict,
        "difference": difference,
        "median_unobserved": 0.5,
        "interval": [difference - 0.05, difference + 0.05],
    }
    total = {"metric": "total", "clock": "host", "verdict": "can't tell", "difference": 1.0,
             "median_unobserved": 9.0, "interval": [-0.3, 3.3]}  # fmt: skip
    return {"cell": f"n{n}-{fs}", "concurrency": n, "fs": fs, "metrics": [metric, total]}


def test_the_latest_check_of_that_size_is_said(tmp_path: Path) -> None:
    path = tmp_path / "observer.json"
    observer_checks.save(HOST, [cell(100, "shared", 0.2, "slower"), cell(10, "shared", 0.0, "can't tell")], 1.0, path)
    observer_checks.save(HOST, [cell(100, "shared", 0.25, "slower")], 2.0, path)  # replaces the first
    found = observer_checks.find(HOST, 100, "shared", path)
    assert found is not None and found["made"] == 2.0 and len(observer_checks.load(path)) == 2
    said = effect_sentence(found)
    assert said.startswith("uktrace's own effect at 100 guests here (bench --observer-check, shared fs, ")
    assert "main +50.0 % (slower traced; 95 % CI +40.0 % to +60.0 %)" in said and "can't tell: total" in said
    assert observer_checks.find(HOST, 50, "shared", path) is None  # no check of 50: nothing said
    assert observer_checks.find(HOST | {"accel": "kvm"}, 100, "shared", path) is None  # another host key


def test_its_filesystem_first_else_another_says_which(tmp_path: Path) -> None:
    path = tmp_path / "observer.json"
    observer_checks.save(HOST, [cell(10, "independent", 0.0, "no change")], 1.0, path)
    found = observer_checks.find(HOST, 10, None, path)  # a run without a share
    assert found is not None and "independent fs" in effect_sentence(found)
    assert "nothing moved beyond the noise; no change: main; can't tell: total" in effect_sentence(found)
    observer_checks.save(HOST, [cell(10, "shared", 0.0, "no change")], 0.5, path)
    assert observer_checks.find(HOST, 10, "shared", path)["fs"] == "shared"  # type: ignore[index]


def test_a_damaged_cache_is_none(tmp_path: Path) -> None:
    path = tmp_path / "observer.json"
    for text in ("{", "[1, 2]", '[{"host": {}, "cell": 3}]', '{"a": 1}'):
        path.write_text(text)
        assert observer_checks.load(path) == [] and observer_checks.find(HOST, 100, "shared", path) is None
    observer_checks.save(HOST, [cell(1, "shared", 0.0, "can't tell")], 1.0, path)  # and it is written anew
    assert observer_checks.find(HOST, 1, "shared", path) is not None


def test_a_check_made_by_another_method_is_not_said(tmp_path: Path) -> None:
    """Checks made before the rounds were the unit of contended in-guest figures called noise an
    effect: they are not said, and the next check replaces them."""
    path = tmp_path / "observer.json"
    observer_checks.save(HOST, [cell(100, "shared", 0.2, "slower")], 1.0, path)
    entries = json.loads(path.read_text())
    assert entries[0]["method"] == observer_checks.METHOD
    for method in (None, observer_checks.METHOD - 1):
        path.write_text(json.dumps([{k: v for k, v in entries[0].items() if k != "method"} | {"method": method}]))
        assert observer_checks.find(HOST, 100, "shared", path) is None


def test_a_check_with_the_wakers_side_says_which_part_moved_which_way(tmp_path: Path) -> None:
    path = tmp_path / "observer.json"
    split = {
        "wakeups": [{"metric": "main", "verdict": "faster"}, {"metric": "total", "verdict": "can't tell"}],
        "beyond_wakeups": [{"metric": "main", "verdict": "no change"}, {"metric": "total", "verdict": "slower"}],
    }
    observer_checks.save(HOST, [cell(50, "shared", -0.2, "faster") | split], 1.0, path)
    found = observer_checks.find(HOST, 50, "shared", path)
    assert found is not None
    said = effect_sentence(found)
    assert "main −40.0 % (faster traced;" in said
    assert effect_sentence(found, brief=True).endswith(
        "main −40.0 % (faster traced). Of it, its wake-ups alone: faster: main; its work beyond them: slower: total"
    )
    assert said.endswith(
        "Of it, its wake-ups alone (any program waking as often does as much here): faster: main; "
        "its work beyond them: slower: total"
    )
    recorded = effect_sentence(OBSERVER_EFFECT(found), recorded=True)  # as a recording keeps it, replayed
    assert recorded.startswith("uktrace's own effect at 50 guests where recorded (bench --observer-check, shared fs")
    assert recorded.endswith(said.split("here (", 1)[1].replace("as much here", "as much there"))
    observer_checks.save(HOST, [cell(10, "shared", 0.0, "no change")], 1.0, path)  # a check without the split
    assert "wake-ups" not in effect_sentence(observer_checks.find(HOST, 10, "shared", path) or {})


def fleet(count: int, live: bool = True, effect: dict[str, Any] | None = None, command: str | None = None) -> Any:
    guest = SimpleNamespace(spec=SimpleNamespace(command=command))
    return SimpleNamespace(guests=[guest] * count, jobs=count, fs_mode="shared", live=live, observer_effect=effect)


def test_a_contended_run_no_check_measured_says_its_effect_is_unknown_and_how_to_measure_it() -> None:
    said = unmeasured_sentence(fleet(5), cpus=2)
    assert said == (
        "uktrace's own effect at 5 guests: not measured on this host (more guests than its 2 CPUs: it can be large); "
        "`uktrace bench --observer-check --concurrency 5 --fs-mode shared` measures it"
    )
    assert unmeasured_sentence(fleet(2), cpus=2) is None  # no more guests than CPUs
    assert unmeasured_sentence(fleet(5, effect={"metrics": []}), cpus=2) is None  # measured: the check says it
    assert unmeasured_sentence(fleet(5, live=False), cpus=2) is None  # a replay says what was recorded
    assert unmeasured_sentence(fleet(5, command="kraft run ."), cpus=2) is None  # launchers: no check runs them
