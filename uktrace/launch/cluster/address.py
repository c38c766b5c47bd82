"""`--cluster local | ray:auto | ray:HOST:PORT`, checked before anything starts."""

from __future__ import annotations

import socket
from dataclasses import dataclass

CONNECT_TIMEOUT_S = 3.0


class ClusterError(Exception):
    """A cluster that cannot be used; the message is for the user (one line, exit status 2)."""


@dataclass(frozen=True)
class ClusterAddress:
    """Where the guests run: `local` (None) or a Ray cluster's GCS address (`auto`: Ray finds it)."""

    ray: str | None
    """None for local; `auto` or `HOST:PORT` for Ray."""

    @property
    def local(self) -> bool:
        return self.ray is None

    def __str__(self) -> str:
        return "local" if self.ray is None else f"ray:{self.ray}"


def parse_cluster(text: str) -> ClusterAddress:
    """`local`, `ray:auto` or `ray:HOST:PORT`; raises ClusterError for anything else."""
    if text == "local":
        return ClusterAddress(None)
    kind, _, rest = text.partition(":")
    if kind != "ray" or not rest:
        raise ClusterError(f"--cluster {text}: expected local, ray:auto or ray:HOST:PORT")
    if rest == "auto":
        return ClusterAddress("auto")
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ClusterError(f"--cluster {text}: expected ray:HOST:PORT (e.g. ray:127.0.0.1:6379)")
    return ClusterAddress(rest)


def check_reachable(address: str) -> None:
    """A quick TCP connect to the GCS: Ray itself retries for a minute before it gives up."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        raise ClusterError(f"no Ray cluster at {address}: {error.strerror or error}") from None
