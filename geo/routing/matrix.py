"""Distance/time matrices between points, and the providers that compute them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from geo.distance import haversine_m
from geo.routing.errors import MatrixError
from geo.routing.request import Point


@dataclass(frozen=True, slots=True)
class Matrix:
    """Square integer matrices: metres and seconds from row point to column point."""

    distances_m: tuple[tuple[int, ...], ...]
    durations_s: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        n = len(self.distances_m)
        for name, rows in (("distances", self.distances_m), ("durations", self.durations_s)):
            if len(rows) != n or any(len(row) != n for row in rows):
                raise MatrixError(f"{name} matrix is not {n}x{n}")
            if any(not isinstance(v, int) or v < 0 for row in rows for v in row):
                raise MatrixError(f"{name} matrix holds a value that is not an integer >= 0")

    @property
    def size(self) -> int:
        """Number of points the matrix covers."""
        return len(self.distances_m)

    @classmethod
    def from_rows(
        cls, distances: Sequence[Sequence[int]], durations: Sequence[Sequence[int]]
    ) -> Matrix:
        """Build a matrix from any nested sequences of integers."""
        return cls(
            tuple(tuple(int(v) for v in row) for row in distances),
            tuple(tuple(int(v) for v in row) for row in durations),
        )


class MatrixProvider(Protocol):
    """Anything that turns points into a travel matrix and an ordered path into a line."""

    def matrix(self, points: Sequence[Point]) -> Matrix:
        """Distances (m) and durations (s) between every ordered pair of ``points``."""
        ...

    def path(self, points: Sequence[Point]) -> tuple[Point, ...]:
        """The line travelled through ``points`` in order, as coordinates to draw."""
        ...


@dataclass(frozen=True, slots=True)
class HaversineProvider:
    """Great-circle distance times a detour factor, driven at a constant speed."""

    detour_factor: float = 1.3
    speed_kmh: float = 30.0

    def __post_init__(self) -> None:
        for name, value in (("detour_factor", self.detour_factor), ("speed_kmh", self.speed_kmh)):
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive finite number, got {value}")

    def leg(self, a: Point, b: Point) -> tuple[int, int]:
        """Distance (m) and duration (s) of the road leg estimated between two points."""
        metres = haversine_m(a.lat, a.lon, b.lat, b.lon) * self.detour_factor
        return round(metres), round(metres / (self.speed_kmh / 3.6))

    def matrix(self, points: Sequence[Point]) -> Matrix:
        """Estimated matrix over ``points`` (symmetric, zero diagonal)."""
        legs = [[self.leg(a, b) for b in points] for a in points]
        return Matrix(
            tuple(tuple(d for d, _ in row) for row in legs),
            tuple(tuple(t for _, t in row) for row in legs),
        )

    def path(self, points: Sequence[Point]) -> tuple[Point, ...]:
        """Straight segments between the points."""
        return tuple(points)
