"""A bench's cells pooled over rounds: the one grouping the summary, the report, the plots and compare read."""

from __future__ import annotations

from typing import Any

from uktrace.analysis.pooled import pool_results


def entry(n: int, mode: str, *names: str) -> dict[str, Any]:
    return {"concurrency": n, "fs_mode": mode, "run": {"guests": [{"name": name} for name in names]}}


def test_rounds_of_a_cell_are_pooled_in_the_order_they_ran_and_cells_go_by_key() -> None:
    results = {
        "plan": {"fs_modes": ["shared", "independent"]},
        "cells": [entry(10, "shared", "a"), entry(1, "independent", "b"), entry(10, "shared", "c", "d")],
    }
    pool = pool_results(results)
    assert list(pool.cells) == [(1, "independent"), (10, "shared")]
    assert [g["name"] for g in pool.of(10, "shared")] == ["a", "c", "d"]
    assert [r.index for r in pool.cells[(10, "shared")].rounds] == [0, 2]
    assert [r.index for r in pool.rounds] == [0, 1, 2]
    assert pool.concurrencies == (1, 10)
    assert pool.modes == ("shared", "independent")  # the plan's order
    assert pool.of(1, "shared") == []


def test_entries_that_are_no_cell_are_left_out_and_keep_the_others_positions() -> None:
    broken = [None, {"concurrency": "10", "fs_mode": "shared", "run": {}}, {"concurrency": 2, "fs_mode": "x"}]
    pool = pool_results({"cells": [*broken, entry(2, "zeta", "a"), entry(2, "alpha", "b")]})
    assert [(r.index, r.key) for r in pool.rounds] == [(3, (2, "zeta")), (4, (2, "alpha"))]
    assert pool.modes == ("alpha", "zeta")  # no plan: by name
    assert pool_results({"cells": "not a list"}).cells == {}
