"""The phase palette's promises, measured: distinct phases, contrasting neighbours for normal and
red-green colour-blind vision, and a cursor that looks like no phase.

Colour difference is CIEDE2000 (Sharma, Wu & Dalal 2005) on CIELAB (D65); colour-blindness is
simulated with Machado, Oliveira & Fernandes' 2009 matrices at full severity, on linear RGB.
"""

from __future__ import annotations

import itertools
import math

import pytest

from uktrace.model.palette import CURSOR, CURSOR_UNFOCUSED, PHASE_COLOURS, UNKNOWN_PHASE
from uktrace.parsers.phases import NESTED, OVERLAID, PARENTS, PHASES

Lab = tuple[float, float, float]
RGB = tuple[float, float, float]

NEIGHBOURS_APART = 25.0
"""CIEDE2000 units between phases that meet in a bar (~2.3 is a just-noticeable difference)."""
ALL_APART = 10.0
CURSOR_APART = 20.0
MACHADO: dict[str, tuple[RGB, RGB, RGB]] = {
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
}
VISIONS = (None, *MACHADO)


def linear(hex_colour: str) -> RGB:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    digits = hex_colour.lstrip("#")
    r, g, b = (channel(int(digits[i : i + 2], 16)) for i in (0, 2, 4))
    return r, g, b


def seen(hex_colour: str, vision: str | None) -> RGB:
    """Linear RGB as a reader with `vision` (None: normal) sees it."""
    rgb = linear(hex_colour)
    if vision is None:
        return rgb
    r, g, b = (min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in MACHADO[vision])
    return r, g, b


def lab(rgb: RGB) -> Lab:
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def ciede2000(one: Lab, two: Lab) -> float:
    (l1, a1, b1), (l2, a2, b2) = one, two
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean**7 / (c_mean**7 + 25**7)))
    a1, a2 = a1 * (1 + g), a2 * (1 + g)
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1, h2 = math.degrees(math.atan2(b1, a1)) % 360, math.degrees(math.atan2(b2, a2)) % 360
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    d_hue = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    l_mean, c_mean = (l1 + l2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        h_mean = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_mean = (h1 + h2) / 2
    else:
        h_mean = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_mean - 30))
        + 0.24 * math.cos(math.radians(2 * h_mean))
        + 0.32 * math.cos(math.radians(3 * h_mean + 6))
        - 0.20 * math.cos(math.radians(4 * h_mean - 63))
    )
    rotation = (
        -math.sin(math.radians(60 * math.exp(-(((h_mean - 275) / 25) ** 2))))
        * 2
        * math.sqrt(c_mean**7 / (c_mean**7 + 25**7))
    )
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_mean, 1 + 0.015 * c_mean * t
    dl, dc, dhue = (l2 - l1) / s_l, (c2 - c1) / s_c, d_hue / s_h
    return math.sqrt(dl**2 + dc**2 + dhue**2 + rotation * dc * dhue)


def difference(one: str, two: str, vision: str | None = None) -> float:
    return ciede2000(lab(seen(one, vision)), lab(seen(two, vision)))


def chroma(hex_colour: str) -> float:
    _, a, b = lab(linear(hex_colour))
    return math.hypot(a, b)


def meeting() -> set[tuple[str, str]]:
    """Phases that meet in a bar: neighbours in boot order, and around a nested phase (the fleet's
    bars leave the 9P handshake out, so mount meets banner); an overlaid phase covers part of its
    parent (`ready` the start of main; the bus probe and the mount parts of the init table, its
    start when the table shows no marker of its own), so it meets the one before its parent, the
    parent, and the one after when it lasts as long."""
    top = [name for name in PHASES if name not in NESTED]
    drawn = [name for name in PHASES if name not in NESTED or name in OVERLAID]
    plain = [name for name in PHASES if name != "ready"]
    pairs = set(itertools.pairwise(plain)) | set(itertools.pairwise(top)) | set(itertools.pairwise(drawn))
    for name in OVERLAID:
        covered = PARENTS[name]
        before, after = top[top.index(covered) - 1], top[top.index(covered) + 1]
        pairs |= {(before, name), (name, covered), (name, after)}
    return pairs


def test_ciede2000_matches_the_published_test_data() -> None:
    # Sharma, Wu & Dalal (2005), pairs 1 and 17 of their table
    assert ciede2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert ciede2000((50.0, 2.5, 0.0), (73.0, 25.0, -18.0)) == pytest.approx(27.1492, abs=1e-4)


def test_every_phase_has_its_own_distinct_colour() -> None:
    assert set(PHASE_COLOURS) == set(PHASES)
    for one, two in itertools.combinations(PHASES, 2):
        assert difference(PHASE_COLOURS[one], PHASE_COLOURS[two]) >= ALL_APART, (one, two)


@pytest.mark.parametrize("vision", VISIONS, ids=lambda v: v or "normal")
def test_phases_that_meet_contrast(vision: str | None) -> None:
    for one, two in sorted(meeting()):
        apart = difference(PHASE_COLOURS[one], PHASE_COLOURS[two], vision)
        assert apart >= NEIGHBOURS_APART, (one, two, round(apart, 1))


def test_no_phase_is_grey_or_too_dark_or_too_light() -> None:
    for name, colour in PHASE_COLOURS.items():
        lightness, _, _ = lab(linear(colour))
        assert chroma(colour) >= 20, name  # greys are the interface's
        assert 40 <= lightness <= 90, name  # seen on a dark terminal and on a white plot


def test_the_cursor_row_looks_like_no_phase() -> None:
    assert chroma(UNKNOWN_PHASE) < 5  # a phase without a colour reads as none, not as another phase
    for cursor in (CURSOR, CURSOR_UNFOCUSED):
        assert chroma(cursor) < 5  # neutral
        for name, colour in PHASE_COLOURS.items():
            assert difference(cursor, colour) >= CURSOR_APART, (cursor, name)
