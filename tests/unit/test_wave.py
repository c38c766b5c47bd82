"""The start gate's wave: released once every member is ready or gone, `on_release` just before,
`on_out` once every member has been sent its `cont` or is gone, each once."""

from __future__ import annotations

from uktrace.launch.gate import Wave


def test_the_release_and_the_end_of_it_are_said_once_in_order() -> None:
    said: list[str] = []
    wave = Wave(3, on_release=lambda: said.append("release"), on_out=lambda: said.append("out"))
    assert [wave.join() for _ in range(4)] == [True, True, True, False]  # a fourth starts later
    wave.arrive(0)
    wave.out(2)  # its QEMU died before its monitor: gone
    wave.arrive(2)
    assert said == [] and not wave.released.is_set()
    wave.arrive(1)
    assert said == ["release"] and wave.released.is_set()
    wave.out(0)
    assert said == ["release"]
    wave.out(1)
    wave.out(1)
    wave.arrive(1)
    assert said == ["release", "out"]


def test_a_wave_whose_members_are_all_gone_still_ends() -> None:
    said: list[str] = []
    wave = Wave(2, on_release=lambda: said.append("release"), on_out=lambda: said.append("out"))
    wave.join(), wave.join()
    for index in (0, 1):
        wave.out(index)
        wave.arrive(index)
    assert said == ["release", "out"]
