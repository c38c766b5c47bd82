"""The console hub: every byte of every console, in order, to its own guest; a console rests a pause
between reads; a guest's error reaches its own task; the hub goes when its last console ends."""

from __future__ import annotations

import os
import time

import anyio
import pytest

from uktrace.launch import console_hub
from uktrace.launch.console_hub import ConsoleHub


def pipe() -> tuple[int, int]:
    read, write = os.pipe()
    os.set_blocking(read, False)
    return read, write


def test_every_byte_in_order_to_its_own_console() -> None:
    async def main() -> dict[int, bytes]:
        pipes = [pipe() for _ in range(20)]
        got: dict[int, bytearray] = {index: bytearray() for index in range(len(pipes))}

        async def writer(index: int, fd: int) -> None:
            for line in range(50):
                os.write(fd, f"{index}:{line}\n".encode())
                if line % 7 == 0:
                    await anyio.sleep(0.002)
            os.close(fd)

        async def reader(index: int, fd: int) -> None:
            await console_hub.console_hub(0.001).stream(fd, got[index].extend)
            os.close(fd)

        async with anyio.create_task_group() as group:
            for index, (read, write) in enumerate(pipes):
                group.start_soon(reader, index, read)
                group.start_soon(writer, index, write)
        assert console_hub._HUBS == {}  # the last console ended: the hub is gone
        return {index: bytes(data) for index, data in got.items()}

    got = anyio.run(main)
    for index, data in got.items():
        assert data == b"".join(f"{index}:{line}\n".encode() for line in range(50))


def test_a_console_rests_between_reads() -> None:
    """Bytes written while a console rests wait for the pause's end, and arrive together."""

    async def main() -> list[tuple[float, bytes]]:
        read, write = pipe()
        takes: list[tuple[float, bytes]] = []

        async def writer() -> None:
            os.write(write, b"a")
            while not takes:
                await anyio.sleep(0.001)
            for byte in b"bcd":  # the console rests: these wait
                os.write(write, bytes([byte]))
            os.close(write)

        async with anyio.create_task_group() as group:
            group.start_soon(writer)
            await console_hub.console_hub(0.5).stream(read, lambda data: takes.append((time.monotonic(), data)))
        os.close(read)
        return takes

    takes = anyio.run(main)
    assert b"".join(data for _, data in takes) == b"abcd"
    assert takes[0][1] == b"a" and takes[1][1] == b"bcd"
    assert takes[1][0] - takes[0][0] >= 0.5 * 0.99  # a timer fires late, never early


def test_an_error_in_one_guest_is_raised_in_its_own_task_only() -> None:
    async def main() -> tuple[BaseException | None, bytes]:
        (bad_read, bad_write), (good_read, good_write) = pipe(), pipe()
        good = bytearray()
        raised: BaseException | None = None

        def broken(data: bytes) -> None:
            raise ValueError(f"cannot take {data!r}")

        async def bad() -> None:
            nonlocal raised
            with pytest.raises(ValueError) as caught:
                await console_hub.console_hub(0.001).stream(bad_read, broken)
            raised = caught.value

        async with anyio.create_task_group() as group:
            group.start_soon(bad)
            group.start_soon(console_hub.console_hub(0.001).stream, good_read, good.extend)
            os.write(bad_write, b"x")
            await anyio.sleep(0.05)
            os.write(good_write, b"still read")
            os.close(good_write)
        for fd in (bad_read, bad_write, good_read):
            os.close(fd)
        return raised, bytes(good)

    raised, good = anyio.run(main)
    assert str(raised) == "cannot take b'x'" and good == b"still read"


def test_a_cancelled_console_leaves_the_hub() -> None:
    async def main() -> ConsoleHub:
        read, write = pipe()
        hub = console_hub.console_hub(0.001)
        with anyio.move_on_after(0.05):
            await hub.stream(read, lambda data: None)
        os.close(read)
        os.close(write)
        return hub

    hub = anyio.run(main)
    assert console_hub._HUBS == {}
    with pytest.raises(ValueError):  # its epoll is closed
        hub._epoll.fileno()
