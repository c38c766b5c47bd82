"""Which `--cmd` launchers get a terminal without `--tty`."""

from __future__ import annotations

import shlex

import pytest

from uktrace.launch.options import wants_terminal


@pytest.mark.parametrize(
    ("command", "terminal"),
    [
        ("kraft run --plat qemu --arch x86_64 .", True),
        ("/usr/local/bin/kraft run .", True),
        ("env KRAFTKIT_NO_CHECK_UPDATES=true kraft run .", True),
        ("nice -n 5 kraft run .", False),  # nice's own arguments hide it: ask with --tty
        ("qemu-system-x86_64 -kernel app", False),
        ("sh -c 'kraft run .'", False),  # what a shell runs is the shell's business: --tty
        ("./run-kraft.sh", False),
    ],
)
def test_kraft_gets_a_terminal_without_asking(command: str, terminal: bool) -> None:
    assert wants_terminal(shlex.split(command)) is terminal
