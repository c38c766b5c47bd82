"""One real Ray cluster for the whole session: a head and two workers on loopback, each with 8
uktrace_slots. If Ray cannot start here, every cluster test fails with Ray's words: never a skip."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ray_cluster import LocalRayCluster


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[LocalRayCluster]:
    cluster = LocalRayCluster(workers=2, slots=8).start()
    try:
        yield cluster
    finally:
        cluster.stop()
    leftovers = [pid for node in cluster.nodes for pid in cluster.node_pids(node)]
    assert not leftovers, f"processes of the test cluster outlived it: {leftovers}"
