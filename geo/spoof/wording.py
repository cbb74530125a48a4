"""Numbers written the way a team lead reads them."""

from __future__ import annotations

import math


def duration(seconds: float) -> str:
    """A duration in the largest sensible unit: "45 seconds", "12 minutes", "3.5 hours"."""
    s = abs(seconds)
    if not math.isfinite(s):
        return "an unknown time"
    if s < 120:
        return f"{s:.0f} seconds"
    if s < 7_200:
        return f"{s / 60:.0f} minutes"
    if s < 172_800:
        return f"{_trim(s / 3_600)} hours"
    return f"{_trim(s / 86_400)} days"


def _trim(value: float) -> str:
    """One decimal, without a trailing ".0"."""
    return f"{value:.1f}".removesuffix(".0")


def distance(metres: float) -> str:
    """A distance: "850 m" below 10 km, else "12.3 km"."""
    if not math.isfinite(metres):
        return "an unknown distance"
    if metres < 10_000:
        return f"{metres:.0f} m"
    return f"{_trim(metres / 1_000)} km"


def speed(mps: float) -> str:
    """A speed in km/h, the unit people think in."""
    if not math.isfinite(mps):
        return "infinite speed"
    return f"{mps * 3.6:.0f} km/h"


def listing(items: list[str]) -> str:
    """Join names for a sentence: a; a and b; a, b and c."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
