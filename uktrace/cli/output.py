"""Standard output for the commands: a Rich console that lets a closed pipe end the command as
every Unix tool does (exit status 141, SIGPIPE's), where Rich's own default exits with status 1."""

from __future__ import annotations

from typing import Any

from rich.console import Console


class Output(Console):
    """`Console` for standard output; `kraft run … | uktrace parse - | head` ends with 141."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(highlight=False, **kwargs)

    def on_broken_pipe(self) -> None:
        """Rich's documented hook: hand the broken pipe to `main`, which maps it to 141."""
        raise BrokenPipeError
