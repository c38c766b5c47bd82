"""Seconds and bytes as every table shows them."""

from __future__ import annotations


def format_seconds(value: float | None) -> str:
    """Seconds for a table cell: milliseconds below 1 s, `…` when unknown."""
    if value is None:
        return "…"
    return f"{value * 1000:.1f} ms" if abs(value) < 1 else f"{value:.3f} s"


def format_size(size: int) -> str:
    """`812 B`, `4.0 KiB`, `19.3 MiB`, `1.2 GiB`."""
    if size < 1024:
        return f"{size} B"
    value, unit = size / 1024, "KiB"
    for larger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.1f} {unit}"
