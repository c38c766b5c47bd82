"""How many times an event loop turned while a coroutine ran: a wait that polls turns with the time
it takes (a retry every few ms), one that is woken by its descriptors turns a fixed number of times
however long it waits."""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

T = TypeVar("T")


class CountingSelector(selectors.DefaultSelector):
    """The platform's selector, counting its `select` calls (one per turn of the loop)."""

    def __init__(self) -> None:
        super().__init__()
        self.turns = 0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        self.turns += 1
        result: list[tuple[selectors.SelectorKey, int]] = super().select(timeout)
        return result


def run_counting(main: Callable[[CountingSelector], Awaitable[T]]) -> T:
    """`main(selector)` run by anyio on an asyncio loop over a counting selector."""
    selector = CountingSelector()

    async def run() -> T:
        return await main(selector)

    options: dict[str, Any] = {"loop_factory": lambda: asyncio.SelectorEventLoop(selector)}
    return anyio.run(run, backend="asyncio", backend_options=options)
