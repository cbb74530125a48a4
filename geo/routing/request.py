"""What the planner is asked: a rep's day as plain frozen values (seconds and WGS-84 degrees).

Times are integer seconds on one clock chosen by the caller (e.g. seconds since local midnight of
the plan's date). A stop's time window is an opening interval: the whole visit, service included,
must lie inside it. Objects check their own fields on construction; rules that need the whole
request live in ``validation``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from geo.routing.errors import (
    InvalidCoordinates,
    InvalidLunchBreak,
    InvalidStop,
    InvalidTimeWindow,
)

Objective = Literal["time", "distance"]

#: prizes are scaled by up to a whole route's cost; this bound keeps every sum inside int64
MAX_PRIZE = 10_000


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Point:
    """A WGS-84 position in degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        for name, value, bound in (("latitude", self.lat, 90.0), ("longitude", self.lon, 180.0)):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise InvalidCoordinates(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value) or abs(value) > bound:
                raise InvalidCoordinates(
                    f"{name} must be finite and within ±{bound:g}, got {value}"
                )


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A closed interval ``[start, end]`` of integer seconds."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (_is_int(self.start) and _is_int(self.end)):
            raise InvalidTimeWindow(
                f"time window bounds must be integer seconds, got {self.start!r}..{self.end!r}"
            )
        if self.end < self.start:
            raise InvalidTimeWindow(
                f"time window ends ({self.end}) before it starts ({self.start})"
            )

    @property
    def length(self) -> int:
        """Seconds between start and end."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Stop:
    """A place to visit: service time, opening windows (none = any time) and its worth."""

    id: str
    point: Point
    service_s: int = 0
    windows: tuple[TimeWindow, ...] = ()
    must_visit: bool = False
    prize: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise InvalidStop(f"stop id must be a non-empty string, got {self.id!r}")
        if not _is_int(self.service_s) or self.service_s < 0:
            raise InvalidStop(f"stop {self.id!r}: service_s must be an integer >= 0")
        if not _is_int(self.prize) or not 0 <= self.prize <= MAX_PRIZE:
            raise InvalidStop(f"stop {self.id!r}: prize must be an integer in 0..{MAX_PRIZE}")
        windows = tuple(sorted(self.windows, key=lambda w: (w.start, w.end)))
        object.__setattr__(self, "windows", windows)


@dataclass(frozen=True, slots=True)
class LunchBreak:
    """A break of ``duration_s`` seconds to be taken wholly inside ``window``."""

    window: TimeWindow
    duration_s: int

    def __post_init__(self) -> None:
        if not _is_int(self.duration_s) or self.duration_s <= 0:
            raise InvalidLunchBreak("lunch duration_s must be a positive integer")
        if self.duration_s > self.window.length:
            raise InvalidLunchBreak(
                f"lunch of {self.duration_s} s does not fit its {self.window.length} s window"
            )


@dataclass(frozen=True, slots=True)
class DayRequest:
    """One rep's day to plan: where and when it starts and ends, and the candidate stops."""

    start: Point
    end: Point
    shift: TimeWindow
    stops: tuple[Stop, ...] = ()
    lunch: LunchBreak | None = None
    max_stops: int | None = None
    locked: tuple[str, ...] = ()
    objective: Objective = "time"
    time_budget_s: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "stops", tuple(self.stops))
        object.__setattr__(self, "locked", tuple(self.locked))


@dataclass(frozen=True, slots=True)
class PlannerConfig:
    """Operator settings: input caps, solver budget and how prize points weigh against cost."""

    max_input_stops: int = 200
    max_time_budget_s: float = 10.0
    #: what one prize point is worth in route seconds (objective "time") or metres ("distance");
    #: None makes a point outweigh any route's cost: the day is filled by value first, then the
    #: cheapest route for those stops is chosen
    prize_point_s: int | None = None
    prize_point_m: int | None = None
    #: from this many candidate stops on, the solver runs one seed per entry of ``seeds``
    multi_seed_from: int = 20
    seeds: tuple[int, ...] = field(default=(1, 2))
    #: a solver run ends early after this many iterations per candidate stop without improvement
    stall_iterations_per_stop: int | None = 1000
    #: extra wall time allowed past the budget before the solve is abandoned
    hard_limit_grace_s: float = 1.0

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError("PlannerConfig.seeds needs at least one seed")
        if self.max_input_stops < 0 or self.max_time_budget_s <= 0 or self.hard_limit_grace_s < 0:
            raise ValueError("PlannerConfig limits must be positive (grace may be 0)")

    def seeds_for(self, clients: int) -> tuple[int, ...]:
        """Seeds to run in parallel for a problem with ``clients`` candidate clients."""
        return self.seeds if clients >= self.multi_seed_from else self.seeds[:1]
