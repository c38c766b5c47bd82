"""The pure parts of the Ray backend: `--cluster` addresses, slot placement, the stream's numbering."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from uktrace.launch.cluster import wire
from uktrace.launch.cluster.address import ClusterError, parse_cluster
from uktrace.launch.cluster.client import latency_figures, place
from uktrace.launch.cluster.remote import LOST_STATUS, Control, RemoteGuestProcess


@pytest.mark.parametrize(
    ("text", "ray"), [("local", None), ("ray:auto", "auto"), ("ray:10.0.0.5:6379", "10.0.0.5:6379")]
)
def test_cluster_addresses(text: str, ray: str | None) -> None:
    address = parse_cluster(text)
    assert address.ray == ray and str(address) == text


@pytest.mark.parametrize("text", ["ray", "ray:", "ray:host", "ray:host:0", "ray:host:x", "k8s:auto", "Local"])
def test_malformed_cluster_addresses_are_one_clear_error(text: str) -> None:
    with pytest.raises(ClusterError, match="--cluster"):
        parse_cluster(text)


def test_spread_takes_slots_evenly_and_never_more_than_a_node_has() -> None:
    assert place(12, [8, 8, 8], None) == [4, 4, 4]
    assert place(10, [8, 8, 8], None) == [4, 3, 3]
    assert place(12, [2, 8, 8], None) == [2, 5, 5]
    assert place(30, [8, 8, 8], None) == [8, 8, 8]  # short by 6: the launcher refuses the run


def test_per_node_fills_nodes_in_order() -> None:
    assert place(5, [8, 8, 8], 2) == [2, 2, 1]
    assert place(4, [8, 1, 8], 2) == [2, 1, 1]


def test_latency_figures() -> None:
    assert latency_figures([]) is None
    figures = latency_figures([1_000_000 * ms for ms in range(1, 101)])
    assert figures is not None and figures["n"] == 100 and figures["max"] == 100.0
    assert 50 <= figures["p50"] <= 51 and 99 <= figures["p99"] <= 100


def test_a_gap_in_the_stream_is_counted_and_the_end_is_kept() -> None:
    async def main() -> None:
        guest = RemoteGuestProcess(cast(Control, None), "0.1", "node-a", offset_ns=1_000)
        guest.feed([wire.Event(0, wire.SPAWNED, 5_000, {"pid": 42, "argv": ["qemu"], "nice": None})], 6_000)
        guest.feed([wire.Event(1, wire.CONSOLE, 7_000, b"one\n"), wire.Event(3, wire.CONSOLE, 8_000, b"two\n")], 9_000)
        assert guest.spawn_ns == 4_000 and guest.pid == 42  # node clock minus its offset
        assert guest.lost_events == 1 and guest.events == 3
        assert await guest.read_console() == b"one\n" and guest.stamp_ns == 6_000
        assert await guest.read_console() == b"two\n" and guest.latencies_ns == [3_000, 2_000]
        guest.ended("node node-a lost")
        assert guest.lost == "node node-a lost" and await guest.wait() == LOST_STATUS
        assert await guest.read_console() == b"" and await guest.read_console() == b""

    asyncio.run(main())


def test_an_exit_ends_the_stream_cleanly() -> None:
    async def main() -> None:
        guest = RemoteGuestProcess(cast(Control, None), "0.1", "node-a", offset_ns=0)
        guest.feed([wire.Event(0, wire.EXIT, 1, {"status": 3, "cpu_total_ns": 10})], 2)
        guest.ended(None)  # the stream's end after the exit changes nothing
        assert guest.lost is None and await guest.wait() == 3 and guest.cpu_total_ns == 10

    asyncio.run(main())
